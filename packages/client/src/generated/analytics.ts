export interface paths {
  '/analytics/v1/track-event': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Track one event or a batch of up to 500
     * @description Anyone may send events; with a Bearer token they are attributed to its user. 202 means durably queued: the event reaches the store even if it is down now.
     */
    post: operations['trackEvent'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/batch': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Segment batch: messages of any type, up to 500 KB in all and 32 KB each
     * @description A message whose messageId was seen before (within DEDUP_DAYS) is accepted and ignored.
     */
    post: operations['segmentBatch'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/track': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Segment track call (up to 32 KB) */
    post: operations['segmentTrack'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/identify': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Segment identify call (up to 32 KB) */
    post: operations['segmentIdentify'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/page': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Segment page call (up to 32 KB) */
    post: operations['segmentPage'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/screen': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Segment screen call (up to 32 KB) */
    post: operations['segmentScreen'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/group': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Segment group call (up to 32 KB) */
    post: operations['segmentGroup'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/alias': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Segment alias call (up to 32 KB) */
    post: operations['segmentAlias'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/write-keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Write keys not revoked, newest first (without the keys themselves) */
    get: operations['listWriteKeys'];
    put?: never;
    /** Issue a write key for the Segment-style endpoints (shown once) */
    post: operations['createWriteKey'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/write-keys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Revoke a write key: requests with it are refused with 401 from now on */
    delete: operations['revokeWriteKey'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/profiles/{user_id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A user's traits, linked anonymous ids and when they were first and last seen */
    get: operations['getProfile'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/user-activity': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The signed-in user's events, newest first (admins: anyone's with user_id) */
    get: operations['listUserActivity'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/performance': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Requests, errors (5xx) and latency percentiles per service, route and interval */
    get: operations['getPerformance'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/reports': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Daily active users, top events, top routes, sign-ups, funnels or retention, as JSON or CSV */
    get: operations['getReport'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/destinations': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Configured destinations with their pending and dead-letter counts */
    get: operations['listDestinations'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/destinations/dead-letters': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Deliveries that ran out of tries, newest first */
    get: operations['listDestinationDeadLetters'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/destinations/dead-letters/{id}/replay': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Send a dead letter again, with a fresh set of tries */
    post: operations['replayDestinationDeadLetter'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/destinations/dead-letters/replay': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Send every dead letter (of one destination, or all) again */
    post: operations['replayDestinationDeadLetters'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/ingestion/dead-letters': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Queued events and samples the store refused, newest first */
    get: operations['listIngestionDeadLetters'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/ingestion/dead-letters/{id}/replay': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Queue a dead letter again (refused again, it comes back as a new one) */
    post: operations['replayIngestionDeadLetter'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/ingestion/dead-letters/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Discard a dead letter */
    delete: operations['discardIngestionDeadLetter'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/analytics/v1/dashboard': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Admin dashboard (HTML): sign in on the page, charts refresh every few seconds */
    get: operations['getDashboard'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: never;
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  trackEvent: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description a letter, then up to 99 letters, digits, spaces or _ . : / -; names under user., post. are reserved to services (400) */
          event?: string;
          /** @description any JSON object up to 8192 bytes serialized, without NUL characters or unpaired surrogates in its text and keys, or numbers beyond a double */
          properties?: {
            [key: string]: unknown;
          };
          /**
           * Format: date-time
           * @description when it happened; default: now
           */
          timestamp?: string;
          anonymous_id?: string;
          /** @description unique per event from its sender: sent again (a retry) within the dedup window it is accepted and not stored twice */
          message_id?: string;
          events?: {
            /** @description a letter, then up to 99 letters, digits, spaces or _ . : / -; names under user., post. are reserved to services (400) */
            event: string;
            /** @description any JSON object up to 8192 bytes serialized, without NUL characters or unpaired surrogates in its text and keys, or numbers beyond a double */
            properties?: {
              [key: string]: unknown;
            };
            /**
             * Format: date-time
             * @description when it happened; default: now
             */
            timestamp?: string;
            anonymous_id?: string;
            /** @description unique per event from its sender: sent again (a retry) within the dedup window it is accepted and not stored twice */
            message_id?: string;
          }[];
        };
      };
    };
    responses: {
      /** @description Default Response */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            accepted: number;
            ids: string[];
            duplicates?: number;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  segmentBatch: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          batch: {
            /**
             * @description Implied by the endpoint; required in a batch
             * @enum {string}
             */
            type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
            /** @description Unique per message: a message seen again is stored and counted once */
            messageId?: string;
            /** @description The user; a write key may name any */
            userId?: string;
            /** @description The device or browser before sign-in */
            anonymousId?: string;
            /**
             * Format: date-time
             * @description When it happened; default: when it was received
             */
            timestamp?: string;
            /**
             * Format: date-time
             * @description The client clock when it happened; corrected by sentAt
             */
            originalTimestamp?: string;
            /**
             * Format: date-time
             * @description The client clock when it was sent
             */
            sentAt?: string;
            /** @description track: the event name (names under user., post. are reserved to services) */
            event?: string;
            /** @description page and screen: its name */
            name?: string;
            /** @description page: its category */
            category?: string;
            /** @description track, page, screen */
            properties?: {
              [key: string]: unknown;
            };
            /** @description identify, group */
            traits?: {
              [key: string]: unknown;
            };
            /** @description group: the group */
            groupId?: string;
            /** @description alias: the id (usually an anonymousId) that becomes userId */
            previousId?: string;
            /** @description Ignored */
            context?: {
              [key: string]: unknown;
            };
            /** @description Ignored */
            integrations?: {
              [key: string]: unknown;
            };
          }[];
          /**
           * Format: date-time
           * @description The client clock when it was sent
           */
          sentAt?: string;
          /** @description Merged into each message (ignored) */
          context?: {
            [key: string]: unknown;
          };
          /** @description Ignored */
          integrations?: {
            [key: string]: unknown;
          };
          /** @description Ignored: the key comes from HTTP Basic */
          writeKey?: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {boolean} */
            success: true;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. `invalid_write_key`: The Basic authorization names no live write key (missing, unknown or revoked). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized' | 'invalid_write_key';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  segmentTrack: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A Segment message; what each type needs is checked after the schema */
    requestBody: {
      content: {
        'application/json': {
          /**
           * @description Implied by the endpoint; required in a batch
           * @enum {string}
           */
          type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
          /** @description Unique per message: a message seen again is stored and counted once */
          messageId?: string;
          /** @description The user; a write key may name any */
          userId?: string;
          /** @description The device or browser before sign-in */
          anonymousId?: string;
          /**
           * Format: date-time
           * @description When it happened; default: when it was received
           */
          timestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it happened; corrected by sentAt
           */
          originalTimestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it was sent
           */
          sentAt?: string;
          /** @description track: the event name (names under user., post. are reserved to services) */
          event?: string;
          /** @description page and screen: its name */
          name?: string;
          /** @description page: its category */
          category?: string;
          /** @description track, page, screen */
          properties?: {
            [key: string]: unknown;
          };
          /** @description identify, group */
          traits?: {
            [key: string]: unknown;
          };
          /** @description group: the group */
          groupId?: string;
          /** @description alias: the id (usually an anonymousId) that becomes userId */
          previousId?: string;
          /** @description Ignored */
          context?: {
            [key: string]: unknown;
          };
          /** @description Ignored */
          integrations?: {
            [key: string]: unknown;
          };
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {boolean} */
            success: true;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. `invalid_write_key`: The Basic authorization names no live write key (missing, unknown or revoked). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized' | 'invalid_write_key';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  segmentIdentify: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A Segment message; what each type needs is checked after the schema */
    requestBody: {
      content: {
        'application/json': {
          /**
           * @description Implied by the endpoint; required in a batch
           * @enum {string}
           */
          type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
          /** @description Unique per message: a message seen again is stored and counted once */
          messageId?: string;
          /** @description The user; a write key may name any */
          userId?: string;
          /** @description The device or browser before sign-in */
          anonymousId?: string;
          /**
           * Format: date-time
           * @description When it happened; default: when it was received
           */
          timestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it happened; corrected by sentAt
           */
          originalTimestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it was sent
           */
          sentAt?: string;
          /** @description track: the event name (names under user., post. are reserved to services) */
          event?: string;
          /** @description page and screen: its name */
          name?: string;
          /** @description page: its category */
          category?: string;
          /** @description track, page, screen */
          properties?: {
            [key: string]: unknown;
          };
          /** @description identify, group */
          traits?: {
            [key: string]: unknown;
          };
          /** @description group: the group */
          groupId?: string;
          /** @description alias: the id (usually an anonymousId) that becomes userId */
          previousId?: string;
          /** @description Ignored */
          context?: {
            [key: string]: unknown;
          };
          /** @description Ignored */
          integrations?: {
            [key: string]: unknown;
          };
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {boolean} */
            success: true;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. `invalid_write_key`: The Basic authorization names no live write key (missing, unknown or revoked). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized' | 'invalid_write_key';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  segmentPage: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A Segment message; what each type needs is checked after the schema */
    requestBody: {
      content: {
        'application/json': {
          /**
           * @description Implied by the endpoint; required in a batch
           * @enum {string}
           */
          type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
          /** @description Unique per message: a message seen again is stored and counted once */
          messageId?: string;
          /** @description The user; a write key may name any */
          userId?: string;
          /** @description The device or browser before sign-in */
          anonymousId?: string;
          /**
           * Format: date-time
           * @description When it happened; default: when it was received
           */
          timestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it happened; corrected by sentAt
           */
          originalTimestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it was sent
           */
          sentAt?: string;
          /** @description track: the event name (names under user., post. are reserved to services) */
          event?: string;
          /** @description page and screen: its name */
          name?: string;
          /** @description page: its category */
          category?: string;
          /** @description track, page, screen */
          properties?: {
            [key: string]: unknown;
          };
          /** @description identify, group */
          traits?: {
            [key: string]: unknown;
          };
          /** @description group: the group */
          groupId?: string;
          /** @description alias: the id (usually an anonymousId) that becomes userId */
          previousId?: string;
          /** @description Ignored */
          context?: {
            [key: string]: unknown;
          };
          /** @description Ignored */
          integrations?: {
            [key: string]: unknown;
          };
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {boolean} */
            success: true;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. `invalid_write_key`: The Basic authorization names no live write key (missing, unknown or revoked). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized' | 'invalid_write_key';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  segmentScreen: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A Segment message; what each type needs is checked after the schema */
    requestBody: {
      content: {
        'application/json': {
          /**
           * @description Implied by the endpoint; required in a batch
           * @enum {string}
           */
          type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
          /** @description Unique per message: a message seen again is stored and counted once */
          messageId?: string;
          /** @description The user; a write key may name any */
          userId?: string;
          /** @description The device or browser before sign-in */
          anonymousId?: string;
          /**
           * Format: date-time
           * @description When it happened; default: when it was received
           */
          timestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it happened; corrected by sentAt
           */
          originalTimestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it was sent
           */
          sentAt?: string;
          /** @description track: the event name (names under user., post. are reserved to services) */
          event?: string;
          /** @description page and screen: its name */
          name?: string;
          /** @description page: its category */
          category?: string;
          /** @description track, page, screen */
          properties?: {
            [key: string]: unknown;
          };
          /** @description identify, group */
          traits?: {
            [key: string]: unknown;
          };
          /** @description group: the group */
          groupId?: string;
          /** @description alias: the id (usually an anonymousId) that becomes userId */
          previousId?: string;
          /** @description Ignored */
          context?: {
            [key: string]: unknown;
          };
          /** @description Ignored */
          integrations?: {
            [key: string]: unknown;
          };
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {boolean} */
            success: true;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. `invalid_write_key`: The Basic authorization names no live write key (missing, unknown or revoked). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized' | 'invalid_write_key';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  segmentGroup: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A Segment message; what each type needs is checked after the schema */
    requestBody: {
      content: {
        'application/json': {
          /**
           * @description Implied by the endpoint; required in a batch
           * @enum {string}
           */
          type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
          /** @description Unique per message: a message seen again is stored and counted once */
          messageId?: string;
          /** @description The user; a write key may name any */
          userId?: string;
          /** @description The device or browser before sign-in */
          anonymousId?: string;
          /**
           * Format: date-time
           * @description When it happened; default: when it was received
           */
          timestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it happened; corrected by sentAt
           */
          originalTimestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it was sent
           */
          sentAt?: string;
          /** @description track: the event name (names under user., post. are reserved to services) */
          event?: string;
          /** @description page and screen: its name */
          name?: string;
          /** @description page: its category */
          category?: string;
          /** @description track, page, screen */
          properties?: {
            [key: string]: unknown;
          };
          /** @description identify, group */
          traits?: {
            [key: string]: unknown;
          };
          /** @description group: the group */
          groupId?: string;
          /** @description alias: the id (usually an anonymousId) that becomes userId */
          previousId?: string;
          /** @description Ignored */
          context?: {
            [key: string]: unknown;
          };
          /** @description Ignored */
          integrations?: {
            [key: string]: unknown;
          };
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {boolean} */
            success: true;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. `invalid_write_key`: The Basic authorization names no live write key (missing, unknown or revoked). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized' | 'invalid_write_key';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  segmentAlias: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A Segment message; what each type needs is checked after the schema */
    requestBody: {
      content: {
        'application/json': {
          /**
           * @description Implied by the endpoint; required in a batch
           * @enum {string}
           */
          type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
          /** @description Unique per message: a message seen again is stored and counted once */
          messageId?: string;
          /** @description The user; a write key may name any */
          userId?: string;
          /** @description The device or browser before sign-in */
          anonymousId?: string;
          /**
           * Format: date-time
           * @description When it happened; default: when it was received
           */
          timestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it happened; corrected by sentAt
           */
          originalTimestamp?: string;
          /**
           * Format: date-time
           * @description The client clock when it was sent
           */
          sentAt?: string;
          /** @description track: the event name (names under user., post. are reserved to services) */
          event?: string;
          /** @description page and screen: its name */
          name?: string;
          /** @description page: its category */
          category?: string;
          /** @description track, page, screen */
          properties?: {
            [key: string]: unknown;
          };
          /** @description identify, group */
          traits?: {
            [key: string]: unknown;
          };
          /** @description group: the group */
          groupId?: string;
          /** @description alias: the id (usually an anonymousId) that becomes userId */
          previousId?: string;
          /** @description Ignored */
          context?: {
            [key: string]: unknown;
          };
          /** @description Ignored */
          integrations?: {
            [key: string]: unknown;
          };
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {boolean} */
            success: true;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. `invalid_write_key`: The Basic authorization names no live write key (missing, unknown or revoked). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized' | 'invalid_write_key';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listWriteKeys: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** Format: uuid */
              id: string;
              name: string;
              /** @description The key's first characters, to tell keys apart */
              key_prefix: string;
              /** Format: date-time */
              created_at: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  createWriteKey: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description What sends with it, e.g. "billing backend" */
          name: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** Format: uuid */
            id: string;
            name: string;
            /** @description The key's first characters, to tell keys apart */
            key_prefix: string;
            /** Format: date-time */
            created_at: string;
            /** @description The key itself: shown this once; only a hash of it is kept */
            key: string;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  revokeWriteKey: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A write key id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Revoked */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  getProfile: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The user id messages named */
        user_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            user_id: string;
            /** @description Merged from identify calls; a newer one wins */
            traits: {
              [key: string]: unknown;
            };
            /** @description Linked to this user by alias or identify, oldest first */
            anonymous_ids: string[];
            /** Format: date-time */
            first_seen: string;
            /** Format: date-time */
            last_seen: string;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listUserActivity: {
    parameters: {
      query?: {
        /** @description admins only: another user */
        user_id?: string;
        /** @description inclusive; default: the start of retention */
        from?: string;
        /** @description exclusive; default: now */
        to?: string;
        event?: string;
        limit?: number;
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              id: string;
              event: string;
              source: string;
              user_id: string | null;
              anonymous_id: string | null;
              properties: {
                [key: string]: unknown;
              };
              /** Format: date-time */
              timestamp: string;
            }[];
            next_cursor: string | null;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `query_timeout`: The query took too long; narrow it (filters, a shorter range) and retry. `result_too_large`: The answer exceeds the store’s row limit; narrow the range or widen the interval. `store_unavailable`: The analytics store is down or too slow; retry after Retry-After seconds. */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'query_timeout' | 'result_too_large' | 'store_unavailable';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  getPerformance: {
    parameters: {
      query?: {
        /** @description inclusive; default: one hour ago */
        from?: string;
        /** @description exclusive; default: now */
        to?: string;
        /** @description bucket size from 1m to 1d, e.g. 1m, 5m, 1h, 1d */
        interval?: string;
        service?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** Format: date-time */
            from: string;
            /** Format: date-time */
            to: string;
            interval: string;
            series: {
              service: string;
              route: string;
              points: {
                /** Format: date-time */
                time: string;
                requests: number;
                errors: number;
                p50: number | null;
                p95: number | null;
                p99: number | null;
              }[];
            }[];
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `query_timeout`: The query took too long; narrow it (filters, a shorter range) and retry. `result_too_large`: The answer exceeds the store’s row limit; narrow the range or widen the interval. `store_unavailable`: The analytics store is down or too slow; retry after Retry-After seconds. */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'query_timeout' | 'result_too_large' | 'store_unavailable';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  getReport: {
    parameters: {
      query: {
        /** @description daily-active-users, top-events, top-routes, signups, funnel, retention */
        type:
          | 'daily-active-users'
          | 'top-events'
          | 'top-routes'
          | 'signups'
          | 'funnel'
          | 'retention';
        /** @description inclusive; default: 30 days ago */
        from?: string;
        /** @description exclusive; default: now */
        to?: string;
        format?: 'json' | 'csv';
        /** @description top-N reports */
        limit?: number;
        /** @description funnel: its steps, 1 to 20 event names separated by commas, in order */
        steps?: string;
        /** @description funnel: the conversion window from the first step, ISO 8601 (up to 365 days) */
        window?: string;
        /** @description retention: the event that puts a person in a cohort */
        start_event?: string;
        /** @description retention: the event that counts as returning */
        return_event?: string;
        /** @description retention: cohorts per UTC day or ISO week (from Monday) */
        period?: 'day' | 'week';
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            type: string;
            /** Format: date-time */
            from: string;
            /** Format: date-time */
            to: string;
            /** @description Tabular reports (all but funnel and retention) */
            columns?: string[];
            rows?: {
              [key: string]: string | number;
            }[];
            /** @description funnel */
            window?: string;
            /** @description funnel */
            steps?: {
              event: string;
              /** @description People who reached this step, in order, in the window */
              users: number;
              /** @description Their share of those who entered (step one) */
              conversion: number;
            }[];
            /** @description retention */
            period?: string;
            /** @description retention */
            cohorts?: {
              /**
               * Format: date-time
               * @description The cohort period
               */
              start: string;
              /** @description People whose first start event fell in it */
              users: number;
              /** @description Of them, who did the return event in each period from this one on */
              returned: number[];
            }[];
          };
          'text/csv': string;
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `query_timeout`: The query took too long; narrow it (filters, a shorter range) and retry. `result_too_large`: The answer exceeds the store’s row limit; narrow the range or widen the interval. `store_unavailable`: The analytics store is down or too slow; retry after Retry-After seconds. */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'query_timeout' | 'result_too_large' | 'store_unavailable';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listDestinations: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              name: string;
              url: string;
              /** @description Event-name patterns forwarded; null forwards every event */
              events: string[] | null;
              /** @description Deliveries waiting for their first or next try */
              pending: number;
              /** @description Dead letters: deliveries that ran out of tries */
              dead: number;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listDestinationDeadLetters: {
    parameters: {
      query?: {
        destination?: string;
        limit?: number;
        /** @description next_cursor of the previous page */
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              id: string;
              destination: string;
              event_id: string;
              event: string;
              attempts: number;
              last_error: string | null;
              payload: {
                [key: string]: unknown;
              };
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              failed_at: string;
            }[];
            /** @description Null on the last page */
            next_cursor: string | null;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  replayDestinationDeadLetter: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A dead letter id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Dead letters queued for delivery again */
            replayed: number;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `destination_removed`: The dead letter’s destination is no longer configured; nothing can be sent. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'destination_removed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  replayDestinationDeadLetters: {
    parameters: {
      query?: {
        destination?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Dead letters queued for delivery again */
            replayed: number;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listIngestionDeadLetters: {
    parameters: {
      query?: {
        limit?: number;
        /** @description next_cursor of the previous page */
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              id: string;
              kind: 'event' | 'track' | 'sample';
              /** @description The refused items as they were queued (an event's properties as JSON text), or the row's stored text when it could not be read */
              payload: unknown;
              /** @description What the store (or the writer) said */
              error: string;
              /** @description The queue row it was taken from */
              queue_seq: string;
              /** Format: date-time */
              failed_at: string;
            }[];
            /** @description Null on the last page */
            next_cursor: string | null;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  replayIngestionDeadLetter: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A dead letter id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            replayed: number;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  discardIngestionDeadLetter: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A dead letter id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Discarded */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  getDashboard: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/html': string;
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
}
