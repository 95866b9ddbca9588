"""EFA-only interfaces an EC2NodeClass puts on network card 0 (``spec.networkInterfaces``, interfaceType
``efa-only``): they carry no IP address, Karpenter's ENILimitedPods takes them off the card's ENIs
(aws/karpenter-provider-aws pkg/providers/instancetype/types.go), and ipamd counts each as an unmanaged ENI
of that card (aws/amazon-vpc-cni-k8s pkg/ipamd/ipamd.go filterUnmanagedENIs; hasRoomForEni allows
maxENI - unmanagedENI[card]), so the VPC CNI attaches that many fewer ENIs for pods.

Hand-computed from the per-type facts (VPC CNI table: ENIs of the default card x IPv4 per ENI):

* p5.48xlarge, 2 ENIs x 50: one EFA-only on card 0 leaves 1 ENI: Karpenter's max pods (2 - 1) x 49 + 2 =
  51 (network capacity 51); 49 address-taking pods fill the one ENI: 50 addresses per node, not 100.
  A cpu limit of "192" is one node (192 vCPUs): 50 addresses in each selected subnet (Karpenter does not
  balance zones: every AZ is judged for all its nodes).
* p4d.24xlarge, 15 ENIs x 50: (15 - 1) x 49 + 2 = 688; 686 pods need ceil(686 / 49) = 14 ENIs, all there
  are: 14 x 50 = 700 addresses, not 750 (15 ENIs, 737 pods).
* An EFA-only interface on card 1 takes nothing from card 0: p5.48xlarge keeps 100 addresses.
"""
from __future__ import annotations

try:
    from test_issue10_handcomputed import karpenter, ng, subnet
except ImportError:  # pragma: no cover
    from tests.test_issue10_handcomputed import karpenter, ng, subnet


def interfaces(*cards_and_types: tuple[int, str]) -> str:
    lines = ["  networkInterfaces:"]
    for i, (card, kind) in enumerate(cards_and_types):
        lines.append(f"    - {{networkCardIndex: {card}, deviceIndex: {0 if i == 0 else 1}, interfaceType: {kind}}}")
    return "\n".join(lines) + "\n"


def pool(itype: str) -> str:
    return f"        - {{key: node.kubernetes.io/instance-type, operator: In, values: [{itype}]}}"


def test_efa_only_on_card_0_takes_an_eni_from_the_cni(tmp_path):
    r = karpenter(tmp_path, pool("p5.48xlarge"), limits='cpu: "192"',
                  kubelet=interfaces((0, "interface"), (0, "efa-only")))
    g = ng(r, "default")
    assert (g["max_size"], g["max_pods"], g["network_max_pods"], g["addresses_per_node"]) == (1, 51, 51, 50)
    assert subnet(r, "nodes-a")["at_max"] == 50 and subnet(r, "nodes-b")["at_max"] == 50
    assert any("EFA-only interface(s) on network card 0" in n for n in r["notes"])


def test_efa_only_on_a_large_type(tmp_path):
    r = karpenter(tmp_path, pool("p4d.24xlarge"), limits='cpu: "96"',
                  kubelet=interfaces((0, "interface"), (0, "efa-only")))
    g = ng(r, "default")
    assert (g["max_pods"], g["network_max_pods"], g["addresses_per_node"]) == (688, 688, 700)


def test_efa_only_on_another_card_leaves_card_0(tmp_path):
    r = karpenter(tmp_path, pool("p5.48xlarge"), limits='cpu: "192"',
                  kubelet=interfaces((0, "interface"), (1, "efa-only")))
    g = ng(r, "default")
    assert (g["max_pods"], g["network_max_pods"], g["addresses_per_node"]) == (100, 100, 100)
