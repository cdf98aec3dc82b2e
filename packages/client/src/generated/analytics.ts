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
    /** Daily active users, top events, top routes or sign-ups, as JSON or CSV */
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
        /** @description daily-active-users, top-events, top-routes, signups */
        type: 'daily-active-users' | 'top-events' | 'top-routes' | 'signups';
        /** @description inclusive; default: 30 days ago */
        from?: string;
        /** @description exclusive; default: now */
        to?: string;
        format?: 'json' | 'csv';
        /** @description top-N reports */
        limit?: number;
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
            columns: string[];
            rows: {
              [key: string]: string | number;
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
