// Filled in by the local-cloud work: fails a test that connects to a non-loopback address.
export {};
