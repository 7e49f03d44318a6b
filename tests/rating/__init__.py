"""Rating tests: the conformance cases and the reference rater."""
