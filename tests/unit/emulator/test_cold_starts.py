"""The start-up gate: slots taken and given back once each; a refusal says why."""

from emulator.cold_starts import StartSlot, StartSlots


def test_a_slot_is_given_back_once_however_often_asked() -> None:
    slots = StartSlots(1)
    first = StartSlot(slots)
    assert first.take() is None
    first.give_back()
    first.give_back()  # the init ended, then the sandbox died: still one slot, not two
    second, third = StartSlot(slots), StartSlot(slots)
    assert second.take() is None
    assert not slots.take(timeout=0.05)
    third.give_back()  # never taken: gives nothing back
    assert not slots.take(timeout=0.05)


def test_a_cold_start_that_waits_too_long_is_refused_saying_why() -> None:
    slots = StartSlots(2)
    assert slots.take() and slots.take()
    assert not slots.take(timeout=0.05)
    message = slots.refusal(120.4)
    assert message.startswith("this cold start waited 120 s for one of the 2 start-up slots")
    assert "one per CPU core" in message
    assert "lower --max-sandboxes or invoke fewer at once" in message
