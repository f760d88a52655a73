"""TF Serving's `--batching_parameters_file`: its BatchingParameters message, and a check of a file.

tensorflow-serving-api ships the config and API protos but not `session_bundle_config.proto`,
where BatchingParameters lives, so a file with a typo would only fail when tensorflow_model_server
starts. The message is declared here with TF Serving's field names, numbers and types (those of
tensorflow/serving's session_bundle_config.proto, fields 1-7), and `parse` reads a file with
protobuf's own text format, as the server does, then applies the server's rules on
`allowed_batch_sizes` (increasing, the last equal to `max_batch_size`).

    python -m tfal.serving.batching export/batching.config
"""

from __future__ import annotations

import functools
import sys

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    text_format,
    wrappers_pb2,
)

_FIELDS = (  # name, number, type: TF Serving's BatchingParameters
    ("max_batch_size", 1, ".google.protobuf.Int64Value"),
    ("batch_timeout_micros", 2, ".google.protobuf.Int64Value"),
    ("max_enqueued_batches", 3, ".google.protobuf.Int64Value"),
    ("num_batch_threads", 4, ".google.protobuf.Int64Value"),
    ("thread_pool_name", 5, ".google.protobuf.StringValue"),
    ("allowed_batch_sizes", 6, "repeated int64"),
    ("pad_variable_length_inputs", 7, "bool"),
)


@functools.cache
def message_class() -> type:
    """The BatchingParameters message class (package tensorflow.serving), built once."""
    f = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="tfal/serving/batching_parameters.proto",
        package="tensorflow.serving",
        syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"],
    )
    message = file.message_type.add(name="BatchingParameters")
    for name, number, kind in _FIELDS:
        field = message.field.add(name=name, number=number, label=f.LABEL_OPTIONAL)
        if kind.startswith("."):
            field.type, field.type_name = f.TYPE_MESSAGE, kind
        elif kind == "bool":
            field.type = f.TYPE_BOOL
        else:
            field.type, field.label = f.TYPE_INT64, f.LABEL_REPEATED
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("tensorflow.serving.BatchingParameters")
    )


def parse(text: str):
    """A BatchingParameters message from the text of a batching file; ValueError naming the
    problem for a file TF Serving would refuse."""
    params = message_class()()
    try:
        text_format.Parse(text, params)
    except text_format.ParseError as e:
        raise ValueError(f"not TF Serving's BatchingParameters text format: {e}") from e
    sizes = list(params.allowed_batch_sizes)
    if sizes and (sizes != sorted(set(sizes)) or sizes[-1] != params.max_batch_size.value):
        raise ValueError(
            f"allowed_batch_sizes {sizes} must increase and end at max_batch_size "
            f"{params.max_batch_size.value}"
        )
    return params


def main(argv: list[str] | None = None) -> int:
    """Checks each file named; prints the parsed values or a one-line error (exit 2)."""
    paths = sys.argv[1:] if argv is None else argv
    for path in paths:
        try:
            with open(path) as f:
                params = parse(f.read())
        except (OSError, ValueError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 2
        print(f"{path}: {text_format.MessageToString(params, as_one_line=True)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
