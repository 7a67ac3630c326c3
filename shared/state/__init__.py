"""State every instance of the app shares, in the storage account's Table service.

Flex Consumption runs each function group on its own instances, so what must hold across them
(Teams' rate windows per webhook, the duplicate keys, which parts of a split notification were
posted, the dead letters) lives in tables, not in memory. One module per job:

- `store.py` the connection (from the `AzureWebJobsStorage` settings) and the tables, on first use;
- `windows.py` shared rate windows (each instance books its posts' send times, in batches, on
  one timetable entity per webhook, and confirms each post against Teams' answers);
- `duplicates.py` notification keys claimed per channel for a window;
- `parts.py` the ledger of posted parts (and the last failure reason) per notification and channel;
- `deadletters.py` poison messages kept for 14 days, counted and replayed;
- `purge.py` the hourly deletion of expired duplicate keys and parts-ledger rows, by PartitionKey
  ranges (the `state_purge` timer).

Nothing here is imported at app start: the Azure SDK loads on the first call that needs a table.
"""
