// libsql-cpp/http, as @libsql/client/http: `libsql:` URLs go over HTTP (`https:`, `http:` with `?tls=0`); `ws:`, `wss:` and `file:` URLs are refused (URL_SCHEME_NOT_SUPPORTED).
export * from './client'
