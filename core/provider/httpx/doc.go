// Package httpx is the HTTP layer every provider adapter shares. It holds the
// rules of providers.md in one place so no adapter can forget one:
//
//   - One *Client per provider (New), with its own connection pool, dial/TLS/
//     header timeouts, an optional request-rate limit and
//     "User-Agent: Meshdrop/<version>" on every request.
//   - HTTPS only; plain http only to loopback hosts (127.0.0.0/8, ::1,
//     localhost). Checked for the base URL, every absolute URL and every
//     redirect hop (CheckURL, IsLoopback).
//   - The key (Authorization: Bearer, or Config.Authorize) is attached only to
//     requests whose scheme, host and port equal the base URL's. Download URLs
//     on other hosts never get it. A request that carries a key never follows
//     a redirect to another host: API calls (Read, Once, Create, Stream) refuse
//     every redirect; Download strips the key when a redirect leaves the host.
//   - Response bodies are capped (Config.MaxJSONBytes, default 4 MB;
//     Config.MaxFileBytes, default 2 GB). DecodeJSON turns a body that is not
//     the expected JSON into a *provider.Error of kind ErrBadResponse.
//   - Every non-success answer goes through Config.Classify (DefaultClassify
//     maps HTTP statuses) to a *provider.Error that names the provider and the
//     key by name and fingerprint. The secret is scrubbed from provider
//     messages; URLs in errors and logs lose their query strings.
//
// Calls:
//
//	Read(ctx, cred, Call, out)    safe request (status, list, balance): retried
//	                              with Backoff on rate limits, 408/425/5xx and
//	                              dropped connections, honouring Retry-After.
//	Once(ctx, cred, Call, out)    one attempt, never retried (uploads).
//	Create(ctx, cred, Call, out)  a paid create, sent at most once. A 4xx
//	                              (incl. 429) means "not accepted": the typed
//	                              error, with RetryAt from Retry-After. A lost
//	                              answer after the request was written (timeout,
//	                              reset, 5xx, unreadable 2xx) is ErrSubmissionUnknown.
//	                              Nothing is resent; dial/TLS failures before
//	                              anything was written are ErrUnavailable.
//	Stream(ctx, cred, Call)       an open response body for Server-Sent Events
//	                              (read with NewSSEReader), with an idle timeout.
//	Download(ctx, cred, url, w)   a result file, capped, retried while nothing was
//	                              written (or w can be rewound: *os.File). 403,
//	                              404 or 410 from a host other than the API's is
//	                              ErrLinkExpired: read the task again.
//
// Helpers: Retry and Backoff (1 s doubling to 30 s with jitter, bounded
// attempts, ctx-aware; Base injectable for tests), RetryAfter (seconds or HTTP
// date), Multipart (build a multipart/form-data body), Client.Error (build a
// typed error for this provider and key), SSEReader.
package httpx
