import torch
import torch.nn.functional as F

from dropout_lens.masks import alpha_dropped_value, read_mask, same_mask, unambiguous_units


def test_realized_fraction_leaves_out_units_already_zero():
    torch.manual_seed(1)
    x = torch.relu(torch.randn(64, 256))  # about half the units are zero before dropout
    unamb = unambiguous_units(x)
    out = F.dropout(x, 0.3, training=True)
    reading = read_mask(out, unamb)
    assert reading.observed == int((x[:16] != 0).sum())  # the first READ_ROWS rows
    assert abs(reading.fraction - 0.3) < 0.05
    assert len(reading.mask) == 64 and set(reading.mask) <= set("01.")
    assert reading.mask.count(".") == int((x[0, :64] == 0).sum())
    assert len(reading.hash) == 16


def test_inplace_dropout_is_read_from_a_snapshot_of_the_input():
    torch.manual_seed(2)
    x = torch.randn(32, 128)
    unamb = unambiguous_units(x)  # taken before the call, as the pre-hook does
    out = F.dropout(x, 0.5, training=True, inplace=True)
    assert out.data_ptr() == x.data_ptr()
    assert abs(read_mask(out, unamb).fraction - 0.5) < 0.05


def test_alpha_dropout_dropped_units_are_the_constant_not_zero():
    torch.manual_seed(3)
    x = torch.randn(64, 256)
    out = F.alpha_dropout(x, 0.2, training=True)
    assert torch.isclose(out, torch.tensor(alpha_dropped_value(0.2))).any()
    reading = read_mask(out, unambiguous_units(x, alpha=True), alpha=True, p=0.2)
    assert abs(reading.fraction - 0.2) < 0.03


def test_same_masks_compare_on_units_unambiguous_in_both():
    assert same_mask("1010" * 10, "1.1." * 10, min_units=8) is True
    assert same_mask("1010" * 10, "0.1." * 10, min_units=8) is False
    assert same_mask("1" * 10, "1" * 10) is None  # too few units to tell
