/** How long a service keeps an idle keep-alive connection open; the gateway's agent drops its idle sockets sooner. */
export const UPSTREAM_KEEP_ALIVE_MS = 65_000;
