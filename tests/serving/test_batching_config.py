"""export/batching.config against TF Serving's BatchingParameters: the message's wire format
checked byte by byte (hand-encoded), the shipped file parsed, the forms the server refuses refused."""

import pathlib

import pytest

from tfal.serving import batching

SHIPPED = pathlib.Path(__file__).resolve().parents[2] / "export" / "batching.config"


def test_the_message_has_tf_servings_field_numbers_and_types():
    """Hand-encoded protobuf wire format: max_batch_size (1, an Int64Value: tag 0x0a, length 2,
    inner field 1 varint 0x08 0x40 = 64), thread_pool_name (5, a StringValue: 0x2a, 3, 0x0a 1 'b'),
    allowed_batch_sizes (6, packed int64: 0x32, 2, 8, 64), pad_variable_length_inputs (7, bool:
    0x38 0x01)."""
    params = batching.message_class()()
    params.max_batch_size.value = 64
    params.thread_pool_name.value = "b"
    params.allowed_batch_sizes.extend([8, 64])
    params.pad_variable_length_inputs = True
    assert params.SerializeToString() == bytes(
        [0x0A, 2, 0x08, 64, 0x2A, 3, 0x0A, 1, ord("b"), 0x32, 2, 8, 64, 0x38, 1]
    )
    assert params.DESCRIPTOR.full_name == "tensorflow.serving.BatchingParameters"


def test_the_shipped_batching_config_parses_as_tf_serving_reads_it():
    params = batching.parse(SHIPPED.read_text())
    assert params.max_batch_size.value == 64 and params.batch_timeout_micros.value == 2000
    assert params.max_enqueued_batches.value == 100 and params.num_batch_threads.value == 4
    assert list(params.allowed_batch_sizes) == [8, 16, 32, 64]
    assert params.pad_variable_length_inputs is False
    assert batching.main([str(SHIPPED)]) == 0


@pytest.mark.parametrize(
    "text, problem",
    [
        ("pad_variable_length_inputs { value: false }", "Expected \":\""),  # a bool, not a wrapper
        ("max_batch_size: 64", "text format"),  # an Int64Value needs { value: ... }
        ("max_batch: 3", "no field named \"max_batch\""),
        ("max_batch_size { value: 64 } allowed_batch_sizes: 16 allowed_batch_sizes: 8", "increase"),
        ("max_batch_size { value: 64 } allowed_batch_sizes: 32", "end at max_batch_size 64"),
    ],
)
def test_files_tf_serving_would_refuse_are_refused_in_one_line(tmp_path, capsys, text, problem):
    with pytest.raises(ValueError, match=problem.replace("\"", ".")):
        batching.parse(text)
    path = tmp_path / "batching.config"
    path.write_text(text)
    assert batching.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err
