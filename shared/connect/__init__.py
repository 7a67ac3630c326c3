"""The configuration page: where a person connects a Teams channel to the app's topics and
scheduled updates, and manages what they connected (docs/connect.md).

- `access` who is asking, and whether the page is open at all;
- `csrf` the token every state-changing call carries;
- `security` the headers on every answer (Content-Security-Policy first);
- `page` the HTML page and its static files (`assets/`);
- `wire` JSON bodies <-> the subscription service's objects;
- `handlers` the routes (loaded on their first request, like every handler).
"""
