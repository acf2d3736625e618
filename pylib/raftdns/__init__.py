"""Python helpers shared by the tests and the experiments: launching dns-node (alone or as a
cluster on loopback) and talking to it. Entry scripts put the repository's pylib/ on sys.path."""
