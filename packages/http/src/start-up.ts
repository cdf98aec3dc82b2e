/**
 * Imported first in a service process (the image's main.js; `npm start` imports it right after
 * tsx), before any of the service's own modules load. Start-up keeps nearly everything it
 * allocates (modules, compiled schemas, routes), and V8 answers such survival by doubling the
 * young generation up to its maximum (2 × 16 MB by default, 2 × 64 MB in analytics), which it then
 * keeps, empty, for as long as the service idles: about 30 MB of resident memory per process for
 * nothing. Holding the growth factor at 1 keeps the young generation at its initial size while
 * loading; `listen()` restores V8's growth the moment the service accepts requests, so under load
 * it grows exactly as before.
 *
 * Set at run time on purpose: V8 raises a factor below 2 back to 2 whenever it sets up a heap, so
 * the same flag on node's command line does nothing (and a worker started during start-up would
 * end the hold early, costing memory, nothing else).
 */
import { setFlagsFromString } from 'node:v8';

const HOLD_YOUNG_GENERATION = '--semi-space-growth-factor=1';

setFlagsFromString(HOLD_YOUNG_GENERATION);
