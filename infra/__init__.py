"""podcap CDK constructs: VPC, EKS cluster, node groups and vpc-cni settings, with synth-time validation."""
