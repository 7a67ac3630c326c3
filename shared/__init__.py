"""Teams notification functions: cards, delivery and the Outgoing Webhook."""

__version__ = "0.1.0"
