import { Type } from 'typebox';

export const WriteKeyBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      // Printable and not blank.
      pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u001f\\u007f]+$',
      description: 'What sends with it, e.g. "billing backend"',
    }),
  },
  { additionalProperties: false },
);

const fields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  key_prefix: Type.String({ description: "The key's first characters, to tell keys apart" }),
  created_at: Type.String({ format: 'date-time' }),
};

export const WriteKey = Type.Object(fields);

export const NewWriteKey = Type.Object({
  ...fields,
  key: Type.String({
    description: 'The key itself: shown this once; only a hash of it is kept',
  }),
});

export const WriteKeyList = Type.Object({ items: Type.Array(WriteKey) });

export const WriteKeyParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'A write key id' }),
});
