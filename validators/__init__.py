"""podcap: EKS pod networking capacity checks (the engine, sources, rules and reporters)."""
