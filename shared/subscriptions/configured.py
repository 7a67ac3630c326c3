"""The subscriptions' table and URL sealer, configured once per process from the settings.

Its own module, apart from the service: delivery resolves `sub-<id>` channels through this
(shared.subscriptions.channels), and must not import the service, which sends cards through the
pipeline and so through delivery.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from shared.config.once import read_once
from shared.config.settings import current_settings
from shared.state.store import current_state_store
from shared.subscriptions.crypto import KeyProblem, UrlSealer, key_from_settings
from shared.subscriptions.model import SubscriptionsUnavailable
from shared.subscriptions.table import SubscriptionTable

__all__ = ["Configured", "current_subscription_store"]


@dataclass(frozen=True)
class Configured:
    table: SubscriptionTable
    sealer: UrlSealer


@read_once
def current_subscription_store() -> Configured:
    """The table and sealer. Raises SubscriptionsUnavailable naming the setting when storage or
    the key is not configured."""
    store = current_state_store()
    if store is None:
        raise SubscriptionsUnavailable(
            "AzureWebJobsStorage: not set, and subscriptions live in the app's storage account"
        )
    try:
        wrap = key_from_settings(os.environ, in_azure=current_settings().in_azure)
    except KeyProblem as error:
        raise SubscriptionsUnavailable(str(error)) from None
    return Configured(SubscriptionTable(store), UrlSealer(wrap))
