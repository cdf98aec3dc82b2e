export interface paths {
  '/main/v1/posts': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Posts, newest first; drafts only for their author and editors */
    get: operations['listPosts'];
    put?: never;
    /** Create a post (permission posts:write) */
    post: operations['createPost'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/main/v1/posts/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One post by id or slug */
    get: operations['getPost'];
    /** Replace a post (author, or permission posts:edit-any); honours If-Match */
    put: operations['replacePost'];
    post?: never;
    /** Delete a post (author, or permission posts:edit-any); honours If-Match */
    delete: operations['deletePost'];
    options?: never;
    head?: never;
    /** Change some fields of a post (author, or posts:edit-any); honours If-Match */
    patch: operations['updatePost'];
    trace?: never;
  };
  '/main/v1/categories': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every category, by name, with its number of published posts */
    get: operations['listCategories'];
    put?: never;
    /** Create a category (permission categories:manage) */
    post: operations['createCategory'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/main/v1/categories/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /** Rename a category (permission categories:manage) */
    put: operations['renameCategory'];
    post?: never;
    /** Delete a category; 409 while posts use it unless ?move_to= takes them over */
    delete: operations['deleteCategory'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/main/v1/tags': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every tag ever used, most used first; counts are of published posts for everyone */
    get: operations['listTags'];
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
  listPosts: {
    parameters: {
      query?: {
        /** @description Id or slug */
        category?: string;
        /** @description Repeatable; every tag must match */
        tag?: string[];
        author?: string;
        status?: 'draft' | 'published';
        /** @description Full text over title and body (websearch syntax: words, "phrases", or, -not). Without sort, the newest 500 matches (SEARCH_RANK_WINDOW) come first, best match first (title above body); older matches follow, newest first. A walk keeps the window it began with: posts added meanwhile neither repeat nor displace one. */
        q?: string;
        /** @description Exclusive */
        published_after?: string;
        /** @description Exclusive */
        published_before?: string;
        /** @description Default -published_at. With q and no sort: relevance, as described under q. A sort given with q is that order, nothing ranked. */
        sort?: '-published_at' | 'published_at' | '-created_at' | 'title';
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
              /** Format: uuid */
              id: string;
              slug: string;
              title: string;
              body: string;
              excerpt: string;
              status: 'draft' | 'published';
              /** Format: uuid */
              author_id: string;
              category: null | {
                id: string;
                slug: string;
                name: string;
              };
              tags: string[];
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
              published_at: null | string;
            }[];
            next_cursor: null | string;
          };
        };
      };
      /** @description Default Response */
      304: {
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
      /** @description `query_timeout`: The query took too long; narrow it (filters, a shorter range) and retry. */
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
            code: 'query_timeout';
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
  createPost: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          title: string;
          /** @description Up to 100 KB of UTF-8 */
          body: string;
          /** @description Derived from the body when absent */
          excerpt?: string;
          /** @enum {string} */
          status?: 'draft' | 'published';
          category_id?: null | string;
          category?: null | string;
          /** @description Tag slugs; a tag exists once a post uses it */
          tags?: string[];
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
            post: {
              /** Format: uuid */
              id: string;
              slug: string;
              title: string;
              body: string;
              excerpt: string;
              status: 'draft' | 'published';
              /** Format: uuid */
              author_id: string;
              category: null | {
                id: string;
                slug: string;
                name: string;
              };
              tags: string[];
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
              published_at: null | string;
            };
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
      /** @description `slug_taken`: Another resource has this slug, or none was free for the title; choose another. */
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
            code: 'slug_taken';
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
  getPost: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A post id or slug */
        id: string;
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
            post: {
              /** Format: uuid */
              id: string;
              slug: string;
              title: string;
              body: string;
              excerpt: string;
              status: 'draft' | 'published';
              /** Format: uuid */
              author_id: string;
              category: null | {
                id: string;
                slug: string;
                name: string;
              };
              tags: string[];
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
              published_at: null | string;
            };
          };
        };
      };
      /** @description Default Response */
      304: {
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
  replacePost: {
    parameters: {
      query?: never;
      header?: {
        'if-match'?: string;
      };
      path: {
        /** @description A post id or slug */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          title: string;
          /** @description Up to 100 KB of UTF-8 */
          body: string;
          /** @description Derived from the body when absent */
          excerpt?: string;
          /** @enum {string} */
          status?: 'draft' | 'published';
          category_id?: null | string;
          category?: null | string;
          /** @description Tag slugs; a tag exists once a post uses it */
          tags?: string[];
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
            post: {
              /** Format: uuid */
              id: string;
              slug: string;
              title: string;
              body: string;
              excerpt: string;
              status: 'draft' | 'published';
              /** Format: uuid */
              author_id: string;
              category: null | {
                id: string;
                slug: string;
                name: string;
              };
              tags: string[];
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
              published_at: null | string;
            };
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
      /** @description `slug_taken`: Another resource has this slug, or none was free for the title; choose another. */
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
            code: 'slug_taken';
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
      /** @description `version_conflict`: If-Match names a version that is no longer current; read the resource again. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'version_conflict';
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
  deletePost: {
    parameters: {
      query?: never;
      header?: {
        'if-match'?: string;
      };
      path: {
        /** @description A post id or slug */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
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
      /** @description `version_conflict`: If-Match names a version that is no longer current; read the resource again. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'version_conflict';
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
  updatePost: {
    parameters: {
      query?: never;
      header?: {
        'if-match'?: string;
      };
      path: {
        /** @description A post id or slug */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          title?: string;
          /** @description Up to 100 KB of UTF-8 */
          body?: string;
          excerpt?: null | string;
          /** @enum {string} */
          status?: 'draft' | 'published';
          category_id?: null | string;
          category?: null | string;
          /** @description Tag slugs; a tag exists once a post uses it */
          tags?: string[];
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
            post: {
              /** Format: uuid */
              id: string;
              slug: string;
              title: string;
              body: string;
              excerpt: string;
              status: 'draft' | 'published';
              /** Format: uuid */
              author_id: string;
              category: null | {
                id: string;
                slug: string;
                name: string;
              };
              tags: string[];
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
              published_at: null | string;
            };
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
      /** @description `slug_taken`: Another resource has this slug, or none was free for the title; choose another. */
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
            code: 'slug_taken';
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
      /** @description `version_conflict`: If-Match names a version that is no longer current; read the resource again. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'version_conflict';
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
  listCategories: {
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
              slug: string;
              name: string;
              /** @description Published posts in this category */
              post_count: number;
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
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
  createCategory: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          name: string;
          /** @description Derived from the name when absent */
          slug?: string;
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
            category: {
              /** Format: uuid */
              id: string;
              slug: string;
              name: string;
              /** @description Published posts in this category */
              post_count: number;
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
            };
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
      /** @description `slug_taken`: Another resource has this slug, or none was free for the title; choose another. */
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
            code: 'slug_taken';
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
  renameCategory: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A category id or slug */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          name: string;
          /** @description Derived from the name when absent */
          slug?: string;
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
            category: {
              /** Format: uuid */
              id: string;
              slug: string;
              name: string;
              /** @description Published posts in this category */
              post_count: number;
              /** Format: date-time */
              created_at: string;
              /** Format: date-time */
              updated_at: string;
            };
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
      /** @description `slug_taken`: Another resource has this slug, or none was free for the title; choose another. */
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
            code: 'slug_taken';
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
  deleteCategory: {
    parameters: {
      query?: {
        /** @description Id or slug of the category that takes over its posts */
        move_to?: string;
      };
      header?: never;
      path: {
        /** @description A category id or slug */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
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
      /** @description `category_in_use`: Posts use this category; pass move_to to move them first. */
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
            code: 'category_in_use';
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
  listTags: {
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
              slug: string;
              /** @description Published posts with this tag */
              post_count: number;
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
}
