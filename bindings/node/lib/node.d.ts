// libsql-cpp/node, as @libsql/client/node: the default entry (`file:`, `:memory:`, HTTP and WebSocket URLs; `libsql:` goes over HTTP).
export * from './client'
