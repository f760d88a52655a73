"""`CampaignState.answer_query` keeps each oracle label on the pool index it was asked for.

The oracle answers in the order of `pending_query`, and a query need not be sorted (a strategy
returns its batch in ranking order). The expected labels are written by hand per index, so a state
that sorted the query, or sorted the labels, or paired them any other way would give index 7 the
label of index 2. Checked for L0 and for an acquisition (with `acquired` recording the batch), in
memory and through state.json (`save_state` / `load_state`).
"""

from tfal.loop.state import CampaignState, load_state, save_state

QUERY = [7, 2, 9]  # not sorted
ANSWERS = [1, 0, 2]  # the oracle's labels, in the query's order
BY_INDEX = {7: 1, 2: 0, 9: 2}  # what every later step must read


def _new_state(**kwargs) -> CampaignState:
    return CampaignState(
        dataset="fake", strategy="random", setting="baseline", seed=0, num_cycles=3, **kwargs
    )


def _labels_by_index(state: CampaignState) -> dict[int, int]:
    assert len(state.labeled_idx) == len(state.labels)
    return dict(zip(state.labeled_idx, state.labels, strict=True))


def test_initial_set_answered_out_of_order_keeps_each_label_on_its_index():
    state = _new_state(pending_query=list(QUERY))
    assert state.answer_query(ANSWERS) is False  # L0, not an acquisition
    assert _labels_by_index(state) == BY_INDEX
    assert state.pending_query == [] and state.acquired == []


def test_acquired_batch_answered_out_of_order_keeps_each_label_on_its_index():
    state = _new_state(labeled_idx=[4, 0], labels=[3, 3], next_cycle=1)
    state.pending_query = list(QUERY)
    assert state.answer_query(ANSWERS) is True
    assert _labels_by_index(state) == {4: 3, 0: 3, **BY_INDEX}
    assert state.acquired == [{"cycle": 0, "indices": QUERY}]  # S_0, in the order asked
    assert state.pending_query == []


def test_a_pending_query_saved_and_loaded_is_answered_on_the_right_indices(tmp_path):
    """The query waits in state.json (a human oracle can take days), then is answered."""
    path = str(tmp_path / "state.json")
    save_state(_new_state(pending_query=list(QUERY)), path)
    state = load_state(path)
    state.answer_query(ANSWERS)
    save_state(state, path)
    state = load_state(path)
    assert _labels_by_index(state) == BY_INDEX

    state.next_cycle = 1
    state.pending_query = [8, 3, 5]  # the batch S_0, again unsorted
    save_state(state, path)
    state = load_state(path)
    state.answer_query([2, 1, 0])
    save_state(state, path)
    state = load_state(path)
    assert _labels_by_index(state) == {**BY_INDEX, 8: 2, 3: 1, 5: 0}
    assert state.acquired == [{"cycle": 0, "indices": [8, 3, 5]}]
