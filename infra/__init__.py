"""podcap CDK constructs: VPC, EKS cluster, node groups and vpc-cni settings, with synth-time validation.

Modules (docs/cdk.md):

* :mod:`podcap.cdk.network` — ``PodcapNetwork``, ``SubnetSpec``, ``Reservation``: a VPC of literal CIDRs (L1).
* :mod:`podcap.cdk.cni` — ``CniSettings``: typed aws-node settings -> the vpc-cni add-on configuration.
* :mod:`podcap.cdk.cluster` — ``PodcapCluster``, ``NodeGroupSpec``: CfnCluster, the vpc-cni CfnAddon, managed
  node groups after it, launch templates for kubelet max-pods.
* :mod:`podcap.cdk.from_spec` — ``build_from_spec``, ``PodcapSpecStack``: the constructs from a podcap spec.
* :mod:`podcap.cdk.validation` — ``PodcapValidationPlugin`` (``Validations.of(app).add_plugins(...)``) and
  ``acknowledge`` (waivers).

Importing ``podcap.cdk`` itself loads nothing from aws-cdk-lib; :mod:`podcap.cdk.cni` needs only the engine.
"""
