/**
 * What a pooler in transaction mode amounts to for LISTEN (it succeeds; nothing ever arrives): a
 * `fromServer` filter for `tcpProxy` that passes every PostgreSQL message but NotificationResponse.
 */
export function withoutNotifications() {
  let buffered = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const passed: Buffer[] = [];
    // Server messages: a type byte, then a length that counts itself but not the type.
    while (buffered.length >= 5) {
      const size = 1 + buffered.readUInt32BE(1);
      if (buffered.length < size) break;
      if (buffered[0] !== 'A'.charCodeAt(0)) passed.push(buffered.subarray(0, size));
      buffered = buffered.subarray(size);
    }
    return Buffer.concat(passed);
  };
}
