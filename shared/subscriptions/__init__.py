"""Subscriptions: channels that people connect themselves, from the configuration page.

A subscription is a Teams webhook URL (encrypted at rest), the topics it receives (each with an
optional filter over the notification's data) and its scheduled updates (subscribable entries of
shared/schedules.json at the team's own time of day). One module per job:

- `model.py` what the page and the service exchange (Draft, SubscriptionView, the errors);
- `crypto.py` envelope encryption of the webhook URL (Key Vault key in Azure, a local key else);
- `table.py` the subscriptions table (Azure Tables, through shared.state.store);
- `topics.py` the topics declared in shared/topics.json; `filters.py` their filters;
- `offer.py` what the page offers (topics, subscribable schedule entries and their parameters);
- `greeting.py` the welcome and goodbye cards, posted straight to the webhook;
- `service.py` the `Subscriptions` service the page calls;
- `fanout.py` `?topic=` targets; `sweeper.py` the scheduled updates; `places.py` geocoding.

Nothing here is imported at app start.
"""
