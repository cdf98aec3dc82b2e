import { Type } from 'typebox';

export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;

export const AvatarQuery = Type.Object({
  v: Type.Optional(
    Type.String({ maxLength: 64, description: 'The version in avatar_url; makes it cacheable' }),
  ),
});

/**
 * Documents the upload. It has no `type: object`, so validation passes the (still unread)
 * multipart stream; the handler checks the part itself.
 */
export const AvatarUpload = {
  content: {
    'multipart/form-data': {
      schema: Type.Unsafe<unknown>({
        properties: {
          file: {
            type: 'string',
            contentEncoding: 'binary',
            description: 'A PNG, JPEG or WebP image of at most 5 MB',
          },
        },
        required: ['file'],
      }),
    },
  },
};

export const AvatarImage = {
  description: 'The avatar, 256×256 WebP',
  content: {
    'image/webp': { schema: Type.Unsafe<Buffer>({ type: 'string', contentEncoding: 'binary' }) },
  },
};
