// A batch's messages set aside, and the problems that answer for a batch with some of them.
import { type FieldError, HttpProblem, problems } from '@platform/http';
import { MAX_MESSAGE_BYTES } from './schema.ts';

/** A message of a batch set aside: its place in the batch and what is wrong with it. */
export interface Refusal {
  index: number;
  errors: FieldError[];
  /** Over Segment's 32 KB per message (a batch of only such messages is a 413). */
  large?: boolean;
}

/** A batch none of whose messages was accepted: nothing is stored, as before batches were split. */
export function noneAccepted(refused: Refusal[]): HttpProblem {
  const errors = byIndex(refused);
  if (refused.some((r) => r.large)) {
    return new HttpProblem(413, `Segment's limit is ${MAX_MESSAGE_BYTES} bytes per message.`, {
      code: 'payload_too_large',
      errors,
    });
  }
  return problems.badRequest('Some messages are invalid; none was stored.', errors);
}

/**
 * A batch of which some messages were stored and some refused: a 400 (the code of any invalid
 * batch), so the client's developer learns of the bad ones, whose errors name each by its index.
 * Segment's libraries drop a batch answered 4xx without retrying: nothing accepted comes twice.
 */
export function partlyAccepted(total: number, refused: Refusal[]): HttpProblem {
  const accepted = total - refused.length;
  return problems.badRequest(
    `${accepted} of ${total} messages were accepted and ${refused.length} refused: the refused ` +
      'ones are listed in errors by their place in the batch (batch.<index>.<field>); the ' +
      'accepted ones are kept, so send only the refused ones again, once corrected.',
    byIndex(refused),
  );
}

const byIndex = (refused: Refusal[]) =>
  [...refused].sort((a, b) => a.index - b.index).flatMap((r) => r.errors);
