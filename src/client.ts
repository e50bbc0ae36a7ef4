/**
 * `nexus-realtime/client`: the client library, kept as an alias of `@nexus-realtime/client` for
 * code written against the main package.
 */
export * from '@nexus-realtime/client';
