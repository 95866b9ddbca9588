"""podcap CDK constructs: VPC, EKS cluster, node groups and vpc-cni settings, with synth-time validation.

Modules (docs/cdk.md):

* :mod:`infra.network` — ``PodcapNetwork``, ``SubnetSpec``, ``Reservation``: a VPC of literal CIDRs (L1).
* :mod:`infra.cni` — ``CniSettings``: typed aws-node settings -> the vpc-cni add-on configuration.
* :mod:`infra.cluster` — ``PodcapCluster``, ``NodeGroupSpec``: CfnCluster, the vpc-cni CfnAddon, managed
  node groups after it, launch templates for kubelet max-pods.
* :mod:`infra.from_spec` — ``build_from_spec``, ``PodcapSpecStack``: the constructs from a podcap spec.
* :mod:`infra.validation` — ``PodcapValidationPlugin`` (``Validations.of(app).add_plugins(...)``) and
  ``acknowledge`` (waivers).

Importing ``infra`` itself loads nothing from aws-cdk-lib; :mod:`infra.cni` needs only ``validators``.
"""
