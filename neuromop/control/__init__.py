"""Controllers for environments: NeuroMOP value network with fitted value iteration, R network, free network."""
