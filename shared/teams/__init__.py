"""Talking to Teams.

Incoming delivery (posting cards to channels):
- `shared.teams.delivery`: `current_delivery().deliver(card, channels)` -> one `DeliveryResult`
  per channel;
- `shared.teams.redelivery`: `redeliver(queue_message)` for the `notifications-retry` queue trigger;
- `shared.teams.errors`: why a delivery failed, transient or permanent by type.
Inside: `channels` (one class per webhook kind), `outcome` (reading Teams' answers), `limiter`
(Teams' rate windows), `splitting` (Teams' size limit), `client` (the shared httpx client), `redact`
(URLs out of logs).

Outgoing Webhook (answering @mentions): `shared.outgoing`.

Nothing is imported here, so importing one side does not load the other.
"""
