// libsql-cpp/ws, as @libsql/client/ws: `libsql:` URLs go over WebSocket (`wss:`, `ws:` with `?tls=0`); `http:`, `https:` and `file:` URLs are refused (URL_SCHEME_NOT_SUPPORTED).
export * from './client'
