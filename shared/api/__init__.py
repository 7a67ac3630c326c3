"""The HTTP API: any system's webhook in, a Teams card out.

- `blueprint`: the routes (`notify/{template}`, `render/{template}`, `templates`, `health`), thin,
  loading everything else on the first request;
- `body` and `params`: reading a request (JSON by the standard, query parameters with pydantic);
- `handlers`: what each route does; `answers`: the status of a delivery answer;
- `errors`: the one error shape, `{"error": {"code", "message", "details"}}`;
- `mentions`: `mention=` as `<at>` texts and `msteams.entities`.
"""
