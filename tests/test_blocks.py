"""podcap.engine.blocks: free addresses and free aligned /28 blocks, every figure computed by hand."""
from __future__ import annotations

import ipaddress
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from podcap.engine.blocks import fragmentation_report, free_blocks, subnet_report
from podcap.model.plan import CidrReservation, Subnet
from podcap.model.unknown import Unknown


def test_empty_24_has_14_free_blocks():
    # 256 addresses = 16 aligned /28s. Block 0 (.0-.15) holds .0-.3 and block 15 (.240-.255) holds .255,
    # AWS's five, so 16 - 2 = 14 blocks are free; usable = 256 - 5 = 251.
    r = fragmentation_report("10.0.0.0/24")
    assert (r.size, r.aws_reserved, r.in_use, r.usable, r.free_addresses) == (256, 5, 0, 251, 251)
    assert (r.total_blocks, r.free_blocks, r.prefix_reserved_blocks, r.prefix_blocks_available) == (16, 14, 0, 14)
    # the 12 free addresses of block 0 (.4-.15) and the 15 of block 15 (.240-.254) are always stranded
    assert r.edge_free == 12 + 15 and r.stranded_addresses == 27
    assert not r.fragmented
    assert r.largest_free_run == 251 and r.largest_free_run_start == "10.0.0.4"
    assert r.largest_free_block_run == 14


def test_empty_28_and_16():
    r = fragmentation_report("10.0.0.0/28")  # one block, AWS-touched
    assert (r.usable, r.total_blocks, r.free_blocks) == (11, 1, 0)
    r = fragmentation_report("10.1.0.0/16")  # 65536 / 16 = 4096 blocks, first and last AWS-touched
    assert (r.usable, r.total_blocks, r.free_blocks) == (65531, 4096, 4094)
    r = fragmentation_report("10.0.0.0/27")  # 2 blocks, both AWS-touched
    assert (r.usable, r.free_blocks) == (27, 0)


def test_one_address_in_every_middle_block_leaves_no_block():
    # .21, .37, …, .229: one address in each of blocks 1..14 -> 14 in use, 0 free blocks
    used = [f"10.0.0.{16 * k + 5}" for k in range(1, 15)]
    r = fragmentation_report("10.0.0.0/24", used)
    assert r.in_use == 14 and r.usable == 251 - 14 == 237
    assert r.free_blocks == 0 and r.touched_blocks == 14
    assert r.fragmented
    assert r.explanation.startswith(
        "10.0.0.0/24: 237 free addresses but only 0 free aligned /28 blocks (0 addresses)")


def test_brief_example_132_free_3_blocks():
    # A /24: 251 usable; use 119 addresses so that 132 remain, spread so that only 3 blocks stay free.
    # Blocks 1..10 (.16-.175): use 11 addresses of each = 110, leaving 5 each = 50 free.
    # Block 11 (.176-.191): use 9, leaving 7. Blocks 12, 13, 14 free (48). Block 0: .4-.15 = 12 free,
    # block 15: .240-.254 = 15 free. Free = 50 + 7 + 48 + 12 + 15 = 132; used = 110 + 9 = 119 = 251 - 132.
    used = []
    for k in range(1, 11):
        used += [f"10.0.0.{16 * k + i}" for i in range(11)]
    used += [f"10.0.0.{176 + i}" for i in range(9)]
    r = fragmentation_report("10.0.0.0/24", used)
    assert r.in_use == 119 and r.usable == 132 and r.free_blocks == 3
    assert r.explanation.startswith("10.0.0.0/24: 132 free addresses but only 3 free aligned /28 blocks "
                                    "(48 addresses)")
    assert "11 of the 16 /28s" in r.explanation
    # 132 - 48 = 84 stranded, of which 12 + 15 in the AWS-touched edge blocks
    assert r.stranded_addresses == 84 and r.edge_free == 27
    # .185-.254: the rest of block 11 (7), blocks 12-14 (48) and block 15 up to .254 (15)
    assert r.largest_free_run == 7 + 48 + 15 == 70
    assert r.largest_free_run_start == "10.0.0.185"


def test_largest_run_and_block_run():
    # .100 in use: gaps .4-.99 (96) and .101-.254 (154). Blocks: ceil(4/16)=1..floor(100/16)=6 -> 5;
    # ceil(101/16)=7..floor(255/16)=15 -> 8. 13 free blocks (14 minus block 6, .96-.111).
    r = fragmentation_report("10.0.0.0/24", ["10.0.0.100"])
    assert r.free_blocks == 13
    assert r.largest_free_run == 154 and r.largest_free_run_start == "10.0.0.101"
    assert r.largest_free_block_run == 8


def test_explicit_reservation():
    # explicit 10.0.0.64/26 = blocks 4..7 (64 addresses): usable 251 - 64 = 187, blocks 14 - 4 = 10
    r = fragmentation_report("10.0.0.0/24", [], [CidrReservation("10.0.0.64/26", "explicit")])
    assert (r.explicit_reserved, r.usable, r.free_addresses, r.free_blocks) == (64, 187, 187, 10)
    assert r.touched_blocks == 4


def test_prefix_reservation_reported_apart():
    # prefix 10.0.0.128/27 = blocks 8, 9: still usable (251) and available to prefixes, but not to
    # single secondary IPs (251 - 32 = 219)
    r = fragmentation_report("10.0.0.0/24", [], [("10.0.0.128/27", "prefix")])
    assert (r.usable, r.prefix_reserved, r.free_addresses) == (251, 32, 219)
    assert (r.free_blocks, r.prefix_reserved_blocks, r.prefix_blocks_available) == (12, 2, 14)
    assert free_blocks("10.0.0.0/24", [], [("10.0.0.128/27", "prefix")]) == 14
    assert "14 free aligned /28 blocks (224 addresses), 2 of them in prefix reservations (12 outside)" \
        in r.explanation


def test_prefix_reservation_with_an_address_in_use():
    # .130 in use inside the prefix reservation: block 8 is taken, block 9 still free for prefixes
    r = fragmentation_report("10.0.0.0/24", ["10.0.0.130"], [("10.0.0.128/27", "prefix")])
    assert (r.in_use, r.usable, r.prefix_reserved) == (1, 250, 31)
    assert (r.free_blocks, r.prefix_reserved_blocks) == (12, 1)


def test_a_block_partly_in_a_prefix_reservation_counts_as_a_plain_free_block():
    # prefix reservation .136/29 covers half of block 8: block 8 stays a (plain) free block
    r = fragmentation_report("10.0.0.0/24", [], [("10.0.0.136/29", "prefix")])
    assert (r.free_blocks, r.prefix_reserved_blocks, r.prefix_reserved) == (14, 0, 8)


def test_overlaps_are_counted_once():
    # .1 is AWS-reserved (not counted as in use); .70 in use inside explicit .64/28; .70 given twice
    used = ["10.0.0.1", "10.0.0.70", "10.0.0.70", "10.0.0.200"]
    r = fragmentation_report("10.0.0.0/24", used, [("10.0.0.64/28", "explicit")])
    assert r.in_use == 2  # .70 and .200
    assert r.explicit_reserved == 15  # .64/28 minus .70
    assert r.usable == 251 - 2 - 15 == 234
    assert r.free_blocks == 14 - 2  # block 4 (.64/28) and block 12 (.200)


def test_eni_prefix_cidr_and_addresses_outside():
    # an ENI /28 prefix takes its whole block; an address of another subnet is ignored
    r = fragmentation_report("10.0.0.0/24", ["10.0.0.32/28", "10.9.9.9", 167772260])  # 167772260 = 10.0.0.100
    assert r.in_use == 17 and r.outside == 1
    assert r.free_blocks == 12


def test_unknowns_fail_closed():
    with pytest.raises(ValueError):
        fragmentation_report("10.0.0.0/24", [], [CidrReservation(Unknown("after apply"), "prefix")])
    with pytest.raises(ValueError):
        fragmentation_report("10.0.0.0/24", [], [("10.0.0.0/28", "weird")])
    assert subnet_report(Subnet(id="s", cidr=Unknown("x"), az="a")) is None
    assert subnet_report(Subnet(id="s", cidr="10.0.0.0/24", az="a",
                                reservations=[CidrReservation(Unknown("x"))])) is None
    r = subnet_report(Subnet(id="s", cidr="10.0.0.0/24", az="a", used_ips=["10.0.0.20"]))
    assert r is not None and r.free_blocks == 13


def _brute(cidr, used, reservations):
    net = ipaddress.IPv4Network(cidr)
    n, base = net.num_addresses, int(net.network_address)
    state = [0] * n  # 0 free, 1 taken, 2 prefix-reserved
    for i in list(range(4)) + [n - 1]:
        state[i] = 1
    for u in used:
        state[int(ipaddress.IPv4Address(u)) - base] = 1
    for c, t in reservations:
        rn = ipaddress.IPv4Network(c)
        for i in range(int(rn.network_address) - base, int(rn.network_address) - base + rn.num_addresses):
            if t == "explicit":
                state[i] = 1
            elif state[i] == 0:
                state[i] = 2
    usable = sum(1 for s in state if s != 1)
    free_b = pre_b = 0
    for b in range(n // 16):
        blk = state[16 * b:16 * b + 16]
        if all(s == 2 for s in blk):
            pre_b += 1
        elif all(s != 1 for s in blk):
            free_b += 1
    return usable, free_b, pre_b


def test_matches_a_brute_force_count():
    rnd = random.Random(7)
    for _ in range(200):
        plen = rnd.choice([22, 23, 24, 25, 26, 27, 28])
        net = ipaddress.IPv4Network(f"10.0.{rnd.randrange(0, 256) & ~((1 << max(24 - plen, 0)) - 1)}.0/{plen}",
                                    strict=False)
        n = net.num_addresses
        used = [str(net.network_address + rnd.randrange(4, n - 1)) for _ in range(rnd.randrange(0, n // 4 + 1))]
        res = []
        if n >= 64 and rnd.random() < 0.7:
            start = rnd.randrange(0, n // 16) * 16
            res.append((f"{net.network_address + start}/28", rnd.choice(["prefix", "explicit"])))
            if start + 32 <= n and rnd.random() < 0.5:
                res.append((f"{net.network_address + start + 16}/29", rnd.choice(["prefix", "explicit"])))
        r = fragmentation_report(str(net), used, res)
        assert (r.usable, r.free_blocks, r.prefix_reserved_blocks) == _brute(str(net), used, res), (net, used, res)


def test_a_16_with_thousands_of_used_addresses_is_fast():
    rnd = random.Random(1)
    used = [f"10.1.{rnd.randrange(256)}.{rnd.randrange(256)}" for _ in range(8000)]
    t = time.perf_counter()
    r = fragmentation_report("10.1.0.0/16", used, [("10.1.128.0/20", "prefix"), ("10.1.200.0/24", "explicit")])
    assert time.perf_counter() - t < 1.0
    assert r.total_blocks == 4096 and r.free_blocks + r.prefix_reserved_blocks <= 4094


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=16, max_value=32),
       st.booleans())
def test_an_empty_subnet_report_is_the_general_one(address, prefix_length, as_network):
    """fragmentation_report of a subnet with nothing in use and no reservations takes the report of an empty
    subnet of its size (made once per size) with its own CIDR and largest-run start: exactly the report the
    interval arithmetic gives it, field by field, in the same order."""
    from podcap.engine import blocks

    net = ipaddress.IPv4Network((address, prefix_length), strict=False)
    text = str(net)
    fast = fragmentation_report(net if as_network else text, (), [])
    general = blocks._report(net, net.num_addresses, text, int(net.network_address), (), ())
    assert fast == general and type(fast) is type(general)
    assert list(fast.__dict__.items()) == list(general.__dict__.items())
    assert fast.cidr == text and fast.size == net.num_addresses
