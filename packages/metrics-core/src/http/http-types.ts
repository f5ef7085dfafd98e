/** Header maps as Node's `IncomingHttpHeaders` / `OutgoingHttpHeaders` hold them (lower-case names). */
export type HttpHeaders = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** The parts of a request the framework-neutral logic looks at. */
export interface HttpRequestInfo {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query string, with or without the leading `?`. */
  query?: string;
  /** Route label (template or `UNMATCHED`). */
  route: string;
  headers: HttpHeaders;
}

/** A finished response as an adapter captured it. */
export interface HttpResponseInfo {
  status: number;
  headers: HttpHeaders;
  body: Buffer;
}
