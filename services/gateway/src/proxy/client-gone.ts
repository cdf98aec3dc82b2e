import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

const queued = Symbol('queued');
type Connection = Socket & { [queued]?: Set<ServerResponse> };

/**
 * Every answer hears its connection's close, also one still waiting behind others on it (a
 * pipelined request): Node emits an answer's 'close' when its connection closes only once the
 * connection is its own, so a queued answer whose client went away never heard, and what waits
 * for that close (the forwarder cancelling the exchange with the service and giving its
 * instance's in-flight count back, the body buffer giving back its share) never came. Given here
 * as Node gives it (the answer marked destroyed, then 'close'). One listener per connection, and
 * only once a request is pipelined on it; an onRequest hook that looks at one property otherwise.
 */
export function closeQueuedAnswers(app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => {
    const connection = request.raw.socket as Connection | null;
    if (!reply.raw.socket && connection) queue(reply.raw, connection);
    done();
  });
}

function queue(answer: ServerResponse, connection: Connection) {
  let waiting = connection[queued];
  if (!waiting) {
    waiting = connection[queued] = new Set();
    connection.once('close', connectionClosed);
  }
  waiting.add(answer);
  answer.once('socket', dequeued);
}

/** Its turn came: from now on Node tells it of the close itself. */
function dequeued(this: ServerResponse, connection: Connection) {
  connection[queued]?.delete(this);
}

function connectionClosed(this: Connection) {
  const waiting = this[queued];
  this[queued] = undefined;
  for (const answer of waiting ?? []) {
    if (answer.destroyed) continue;
    answer.destroyed = true;
    answer.emit('close');
  }
}
