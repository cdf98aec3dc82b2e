import { type App, HttpProblem } from '@platform/http';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { verifyEmail } from '../accounts/verification.ts';
import type { AuthContext } from '../context.ts';
import type { PageName } from '../mail/templates.ts';
import { resetMailer } from '../passwords/reset.ts';
import { confirmReset } from '../passwords/service.ts';

// The pages a mailed link opens when APP_URL is unset. Mail scanners and link previewers fetch
// every link in a mail, so a GET only shows a page; the token is spent by the form's POST, which
// a person's click sends. No script runs on them (see pagePolicy in mail/templates.ts). The reset
// page opened without a token (the link in every notice mail: "if this was not you, reset your
// password") asks for the address and mails a link, as POST /reset-password does.

const Token = Type.String({ minLength: 1, maxLength: 256 });
const TokenQuery = Type.Object({ token: Type.Optional(Token) });
const VerifyForm = Type.Object({ token: Token });
/** Either the new password for a mailed token, or (no token) the address to mail one to. */
const ResetForm = Type.Object({
  token: Type.Optional(Token),
  new_password: Type.Optional(Type.String({ maxLength: 256 })),
  confirm_password: Type.Optional(Type.String({ maxLength: 256 })),
  // Checked by the handler, not the schema: a person's typo (or an address their browser takes
  // and the API's format does not, user@intranet) gets the form again, not a problem+json.
  email: Type.Optional(Type.String({ maxLength: 254 })),
});

/** Enough of an address to be worth a lookup; what no account uses is answered alike. */
const ADDRESS = /^[^\s@]+@[^\s@]+$/;

/** Form posts are read here only: the JSON API keeps refusing form bodies (415). */
const FORM_LIMIT = 16 * 1024;

const VERIFY_ACTION = 'pages/verify-email';
const RESET_ACTION = 'pages/reset-password';

export function pageRoutes(app: App, ctx: AuthContext) {
  const mailReset = resetMailer(app, ctx);
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_LIMIT },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  const show = (reply: FastifyReply, status: number, name: PageName, view: object) => {
    const page = ctx.templates.page(name, view as Record<string, unknown>);
    return reply
      .code(status)
      .header('content-security-policy', page.csp)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .type('text/html; charset=utf-8')
      .send(page.html);
  };
  const message = (reply: FastifyReply, status: number, title: string, text: string) =>
    show(reply, status, 'message', { title, message: text, ok: status < 400 });
  const noToken = (reply: FastifyReply) =>
    message(reply, 400, 'This link is incomplete', 'Open the link from the mail in full.');
  const askForAddress = (reply: FastifyReply, status: number, error?: string) =>
    show(reply, status, 'request-reset', {
      title: 'Reset your password',
      action: RESET_ACTION,
      error,
    });

  app.get(
    '/verify-email',
    { schema: { hide: true, querystring: TokenQuery } },
    async (request, reply) => {
      const { token } = request.query;
      if (!token) return noToken(reply);
      return show(reply, 200, 'verify-email', {
        title: 'Confirm your email address',
        token,
        action: VERIFY_ACTION,
      });
    },
  );

  app.post(
    `/${VERIFY_ACTION}`,
    { schema: { hide: true, body: VerifyForm } },
    async (request, reply) => {
      try {
        await verifyEmail(ctx, request.body.token, {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          log: request.log,
        });
      } catch (error) {
        if (!(error instanceof HttpProblem)) throw error;
        return message(reply, error.status, 'The address was not confirmed', error.message);
      }
      return message(
        reply,
        200,
        'Email address confirmed',
        'Thank you: your address is confirmed.',
      );
    },
  );

  app.get(
    '/reset-password',
    { schema: { hide: true, querystring: TokenQuery } },
    async (request, reply) => {
      const { token } = request.query;
      if (!token) return askForAddress(reply, 200);
      return show(reply, 200, 'reset-password', {
        title: 'Choose a new password',
        token,
        action: RESET_ACTION,
      });
    },
  );

  app.post(
    `/${RESET_ACTION}`,
    { schema: { hide: true, body: ResetForm } },
    async (request, reply) => {
      const { token, new_password = '', confirm_password = '', email } = request.body;
      if (!token) {
        const address = email?.trim();
        if (!address) return askForAddress(reply, 400, 'Enter the email address of your account.');
        if (!ADDRESS.test(address)) {
          return askForAddress(reply, 400, 'Enter an email address, as name@example.com.');
        }
        mailReset(address, request.log);
        // The same answer whether or not an account uses the address, and before the lookup.
        return message(
          reply,
          200,
          'Check your mail',
          'If an account uses this address, a link to choose a new password is on its way. It works for 30 minutes.',
        );
      }
      const again = (status: number, error: string) =>
        show(reply, status, 'reset-password', {
          title: 'Choose a new password',
          token,
          action: RESET_ACTION,
          error,
        });
      if (new_password !== confirm_password) return again(400, 'The two passwords differ.');
      try {
        await confirmReset(
          ctx,
          { token, new_password },
          { ip: request.ip, userAgent: request.headers['user-agent'], log: request.log },
        );
      } catch (error) {
        if (!(error instanceof HttpProblem)) throw error;
        // A refused password leaves the token unspent: the form comes back to try another.
        if (error.options.errors?.[0]?.field === 'new_password') {
          return again(error.status, error.message);
        }
        return message(reply, error.status, 'The password was not changed', error.message);
      }
      return message(
        reply,
        200,
        'Password changed',
        'Your new password is set and every session was signed out. You can sign in with it now.',
      );
    },
  );
}
