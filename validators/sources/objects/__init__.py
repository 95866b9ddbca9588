"""Readers of objects that several sources carry (user data, vpc-cni configuration, Kubernetes objects):
one reader each, called by every source, so a new source never copies one."""
