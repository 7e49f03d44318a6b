"""Transactional outbox and TMF hub/listener event delivery."""
