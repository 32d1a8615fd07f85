"""A node's queue stats are its workers' added up, queue by queue."""

from __future__ import annotations

from industryos.rules.stats import merge_queue_stats


def _main(successful: int, p99: float, gate_open: bool, waiting: int) -> dict[str, object]:
    return {
        "queueName": "Main",
        "successfulMsgs": successful,
        "failedMsgs": 1,
        "timeoutMsgs": 0,
        "retriedMsgs": 2,
        "inFlightMsgs": 3,
        "lag": 4,
        "p99TimeInChainMs": p99,
        "ingestGateOpen": gate_open,
        "ingestGateClosings": 1,
        "ingestWaiting": waiting,
    }


def test_counts_add_up_the_p99_is_the_highest_and_the_gate_is_open_only_if_open_everywhere() -> (
    None
):
    high = {"queueName": "HighPriority", "successfulMsgs": 5, "lag": 0, "p99TimeInChainMs": 1.5}
    merged = merge_queue_stats(
        [[_main(10, 12.5, True, 0), high], [_main(20, 30.0, False, 7)], [_main(1, 2.0, True, 0)]]
    )
    assert merged == [
        {
            "queueName": "Main",
            "successfulMsgs": 31,
            "failedMsgs": 3,
            "timeoutMsgs": 0,
            "retriedMsgs": 6,
            "inFlightMsgs": 9,
            "lag": 12,
            "p99TimeInChainMs": 30.0,
            "ingestGateOpen": False,
            "ingestGateClosings": 3,
            "ingestWaiting": 7,
        },
        high,  # on one worker only: as it is
    ]


def test_one_worker_is_its_own_stats_and_the_inputs_are_not_changed() -> None:
    mine = [_main(10, 12.5, True, 0)]
    assert merge_queue_stats([mine]) == mine
    merge_queue_stats([mine, [_main(5, 1.0, True, 0)]])
    assert mine == [_main(10, 12.5, True, 0)]
    assert merge_queue_stats([]) == []
