/*
 * BenchTarget: the HTTP target server the fetchrunner benchmarks fetch from. It is a benchmark
 * tool, not part of the service (nothing in src/ uses it) and not used by the tests, which keep
 * src/test/java/io/fetchrunner/support/TargetServer.java.
 *
 * Why it exists: the Pekko HTTP TargetServer records every hit and tops out near 13,000 req/s
 * on a 2-core machine, so it, not the service, limited the benchmarks. This one is plain JDK
 * NIO: one acceptor thread hands connections round robin to N selector event loops (one thread
 * each); no thread per connection or request, delays are per-loop timers, response bodies are
 * views of one shared direct buffer (no large per-request arrays).
 *
 * Run (JDK 17, no dependencies, source launcher), from the repository root:
 *   java -Xmx256m bench/BenchTarget.java <port> [eventLoops]
 * eventLoops defaults to the number of processors; port 0 picks a free port. It binds
 * 127.0.0.1 only, prints one line "target listening on 127.0.0.1:<port>" when ready, and
 * runs until killed (Ctrl-C, kill).
 *
 * HTTP/1.1 with keep-alive (HTTP/1.0 only with "Connection: keep-alive"), pipelining answered
 * in order (a connection's next request is taken only once the previous answer is written).
 * Endpoints, for GET (and HEAD):
 *   /delay/{ms}[?size={bytes}]  200 application/octet-stream, a body of `size` bytes ('x',
 *                               default 2, at most 16 MiB) after ms milliseconds (0: at once)
 *   /health                     200 "ok"
 *   anything else               404
 * A bad ms or size gets 400. Malformed requests get 400, header blocks over 16 KiB get 431,
 * chunked request bodies get 501; the connection is closed after those. Request bodies with a
 * Content-Length are read and ignored.
 */

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

public final class BenchTarget {
  static final int BACKLOG = 8192;
  static final int MAX_HEADER = 16 * 1024;
  static final int MAX_SIZE = 16 * 1024 * 1024;
  static final int DEFAULT_SIZE = 2;
  static final long MAX_DELAY_MS = 3_600_000L;
  static final int READ_BUF = 64 * 1024;
  static final int OUT_BUF = 64 * 1024;
  /** Input buffered per connection while it waits for a response; beyond it we stop reading. */
  static final int MAX_BUFFERED = 64 * 1024;
  /** How long a closing connection waits for the client's FIN (so the answer is not reset). */
  static final long LINGER_NANOS = 2_000_000_000L;

  /** The Connection header a response carries. */
  static final int KEEP_ALIVE = 0, KEEP_ALIVE_10 = 1, CLOSE = 2;
  static final String[] CONNECTION = {"", "Connection: keep-alive\r\n", "Connection: close\r\n"};

  /** Complete responses, [variant][0: with body, 1: for HEAD]. */
  static final byte[][][] HEALTH = simple(200, "OK", "ok");
  static final byte[][][] NOT_FOUND = simple(404, "Not Found", "not found\n");
  static final byte[][][] BAD_PARAM = simple(400, "Bad Request", "bad delay or size\n");
  static final byte[] BAD_REQUEST = simple(400, "Bad Request", "bad request\n")[CLOSE][0];
  static final byte[] TOO_LARGE =
      simple(431, "Request Header Fields Too Large", "request header too large\n")[CLOSE][0];
  static final byte[] NOT_IMPLEMENTED =
      simple(501, "Not Implemented", "chunked request bodies are not supported\n")[CLOSE][0];

  static final byte[] GET = ascii("GET"), HEAD = ascii("HEAD"), HTTP1 = ascii("HTTP/1.");
  static final byte[] HEALTH_PATH = ascii("/health"), DELAY_PATH = ascii("/delay/");
  static final byte[] SIZE_EQ = ascii("size="), CONTENT_LENGTH = ascii("content-length");
  static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
  static final byte[] CONNECTION_NAME = ascii("connection"), CLOSE_TOKEN = ascii("close");
  static final byte[] KEEP_ALIVE_TOKEN = ascii("keep-alive");
  static final boolean[] TCHAR = new boolean[128];

  static {
    for (char ch = '0'; ch <= '9'; ch++) TCHAR[ch] = true;
    for (char ch = 'a'; ch <= 'z'; ch++) TCHAR[ch] = TCHAR[ch - 32] = true;
    for (char ch : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[ch] = true;
  }

  /** 'x' filler shared by all response bodies (read-only; bodies are limited duplicates). */
  static volatile ByteBuffer filler = newFiller(64 * 1024);

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: java -Xmx256m bench/BenchTarget.java <port> [eventLoops]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int loopCount = args.length > 1 ? Integer.parseInt(args[1])
        : Runtime.getRuntime().availableProcessors();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    server.bind(new InetSocketAddress("127.0.0.1", port), BACKLOG);
    Loop[] loops = new Loop[Math.max(1, loopCount)];
    for (int i = 0; i < loops.length; i++) {
      loops[i] = new Loop();
      new Thread(loops[i], "event-loop-" + i).start();
    }
    int bound = ((InetSocketAddress) server.getLocalAddress()).getPort();
    System.out.println("target listening on 127.0.0.1:" + bound);
    System.out.flush();
    accept(server, loops);
  }

  /** The acceptor: blocking accept, then hand the channel to the next loop. */
  static void accept(ServerSocketChannel server, Loop[] loops) {
    int next = 0;
    long lastWarning = System.nanoTime() - 2_000_000_000L;
    while (true) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        long now = System.nanoTime();
        if (now - lastWarning > 1_000_000_000L) {
          System.err.println("accept failed: " + e.getMessage());
          lastWarning = now;
        }
        LockSupport.parkNanos(10_000_000L); // e.g. out of file descriptors: back off a little
        continue;
      }
      try {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      } catch (IOException e) {
        closeQuietly(ch);
        continue;
      }
      Loop loop = loops[next];
      next = next + 1 == loops.length ? 0 : next + 1;
      loop.incoming.add(ch);
      loop.selector.wakeup();
    }
  }

  /** One connection's state; touched only by its loop's thread. */
  static final class Conn {
    final SocketChannel ch;
    SelectionKey key;
    int ops;
    byte[] in; // input not processed yet (a partial request, or requests behind a busy one)
    int inLen;
    int scanned; // bytes of the buffered partial request already searched for its end
    long skip; // request body bytes still to discard
    ByteBuffer[] pend; // output not written yet
    int pendIdx, pendCount;
    boolean waiting; // a delayed response is due at `due`
    boolean lingering; // closing: output shut down, input discarded until EOF or `due`
    long due;
    int dSize, dVariant;
    boolean dHead;
    boolean closeAfter, inputClosed, closed;

    Conn(SocketChannel ch) {
      this.ch = ch;
    }
  }

  static final class Loop implements Runnable {
    static final int NEED_MORE = -1, MALFORMED = -2, HEADER_TOO_LARGE = -3, CHUNKED = -4;
    static final int OTHER_METHOD = 0, GET_METHOD = 1, HEAD_METHOD = 2;

    final Selector selector;
    final ConcurrentLinkedQueue<SocketChannel> incoming = new ConcurrentLinkedQueue<>();
    final PriorityQueue<Conn> timers = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    final ByteBuffer rbuf = ByteBuffer.allocate(READ_BUF);
    final ByteBuffer out = ByteBuffer.allocateDirect(OUT_BUF); // responses batched per connection
    final HashMap<Integer, byte[]> delayHeaders = new HashMap<>();
    final Consumer<SelectionKey> onKey = this::onKey;
    int lastHeaderKey = -1;
    byte[] lastHeader;
    // The request just parsed.
    int method, pathStart, pathEnd, queryStart, queryEnd;
    boolean http11, connectionClose, connectionKeepAlive;
    long contentLength;

    Loop() throws IOException {
      selector = Selector.open();
    }

    @Override
    public void run() {
      while (true) {
        try {
          SocketChannel ch;
          while ((ch = incoming.poll()) != null) register(ch);
          Conn first = timers.peek();
          if (first == null) {
            selector.select(onKey);
          } else {
            long wait = first.due - System.nanoTime();
            if (wait <= 0) selector.selectNow(onKey);
            else selector.select(onKey, (wait + 999_999) / 1_000_000);
          }
          fireTimers();
        } catch (Throwable t) {
          System.err.println("event loop: " + t);
        }
      }
    }

    void register(SocketChannel ch) {
      Conn c = new Conn(ch);
      try {
        c.key = ch.register(selector, SelectionKey.OP_READ, c);
        c.ops = SelectionKey.OP_READ;
      } catch (IOException e) {
        closeQuietly(ch);
      }
    }

    void onKey(SelectionKey k) {
      Conn c = (Conn) k.attachment();
      out.clear();
      try {
        int ready = k.readyOps();
        if ((ready & SelectionKey.OP_WRITE) != 0) onWritable(c);
        if ((ready & SelectionKey.OP_READ) != 0 && !c.closed) onReadable(c);
      } catch (CancelledKeyException e) {
        close(c);
      } catch (RuntimeException e) {
        System.err.println("connection dropped: " + e);
        close(c);
      }
    }

    void fireTimers() {
      long now = System.nanoTime();
      Conn c;
      while ((c = timers.peek()) != null && c.due - now <= 0) {
        timers.poll();
        if (c.closed) continue;
        out.clear();
        try {
          if (c.lingering) {
            close(c);
            continue;
          }
          c.waiting = false;
          respond(c, delayHeader(c.dSize, c.dVariant), c.dHead ? null : body(c.dSize));
          if (!c.closed) run(c, c.in, c.inLen);
        } catch (CancelledKeyException e) {
          close(c);
        } catch (RuntimeException e) {
          System.err.println("connection dropped: " + e);
          close(c);
        }
      }
    }

    void onReadable(Conn c) {
      if (c.inputClosed) return;
      boolean busy = c.waiting || c.pendCount > 0;
      rbuf.clear();
      if (busy && !c.lingering) { // just buffer, up to a limit
        int room = MAX_BUFFERED - c.inLen;
        if (room <= 0) {
          updateInterest(c);
          return;
        }
        if (room < READ_BUF) rbuf.limit(room);
      }
      int n;
      try {
        n = c.ch.read(rbuf);
      } catch (IOException e) { // reset by the client
        close(c);
        return;
      }
      if (c.lingering) {
        if (n < 0) close(c);
        return;
      }
      if (n == 0) return;
      if (n < 0) { // the client is done sending; answer what it asked, then close
        c.inputClosed = true;
        finish(c);
        return;
      }
      if (c.closeAfter) return; // nothing more will be answered on this connection
      byte[] src = rbuf.array();
      int end = n;
      if (c.inLen > 0) {
        int need = c.inLen + n;
        if (c.in.length < need) c.in = Arrays.copyOf(c.in, Math.max(need, c.in.length * 2));
        System.arraycopy(src, 0, c.in, c.inLen, n);
        c.inLen = need;
        src = c.in;
        end = need;
      }
      if (busy) {
        if (src != c.in) keep(c, src, 0, end);
        updateInterest(c);
        return;
      }
      run(c, src, end);
    }

    void onWritable(Conn c) {
      if (c.pendCount == 0) return;
      try {
        c.ch.write(c.pend, c.pendIdx, c.pendCount - c.pendIdx);
      } catch (IOException e) {
        close(c);
        return;
      }
      while (c.pendIdx < c.pendCount && !c.pend[c.pendIdx].hasRemaining()) {
        c.pend[c.pendIdx++] = null;
      }
      if (c.pendIdx < c.pendCount) return;
      c.pend = null;
      c.pendIdx = c.pendCount = 0;
      run(c, c.in, c.inLen);
    }

    /** Answers the complete requests in b[0, end) while the connection is free, then flushes. */
    void run(Conn c, byte[] b, int end) {
      int pos = 0;
      while (!c.waiting && c.pendCount == 0 && !c.closeAfter && !c.closed) {
        if (c.skip > 0) {
          int k = (int) Math.min(c.skip, end - pos);
          pos += k;
          c.skip -= k;
          if (c.skip > 0) break;
        }
        while (pos < end && (b[pos] == '\r' || b[pos] == '\n')) pos++; // empty lines
        if (pos >= end) break;
        int r = parse(c, b, pos, end);
        if (r == NEED_MORE) break;
        if (r < 0) {
          respond(c, r == HEADER_TOO_LARGE ? TOO_LARGE : r == CHUNKED ? NOT_IMPLEMENTED
              : BAD_REQUEST, null);
          c.closeAfter = true;
          break;
        }
        pos = r;
        c.scanned = 0;
        c.skip = contentLength;
        route(c, b);
      }
      if (c.closed) return;
      if (c.closeAfter) {
        c.in = null;
        c.inLen = 0;
      } else {
        keep(c, b, pos, end);
      }
      if (!flush(c) && c.closed) return;
      finish(c);
    }

    /** After handling an event: close, start closing, or set the interest ops. */
    void finish(Conn c) {
      if (c.closed || c.lingering) return;
      if (!c.waiting && c.pendCount == 0) {
        if (c.closeAfter && !c.inputClosed) {
          startLinger(c);
          return;
        }
        if (c.closeAfter || c.inputClosed) {
          close(c);
          return;
        }
      }
      updateInterest(c);
    }

    /** Sends FIN after the last answer, then waits for the client's FIN (or a timeout). */
    void startLinger(Conn c) {
      c.lingering = true;
      c.in = null;
      c.inLen = 0;
      try {
        c.ch.shutdownOutput();
      } catch (IOException e) {
        close(c);
        return;
      }
      c.due = System.nanoTime() + LINGER_NANOS;
      timers.add(c);
      updateInterest(c);
    }

    void updateInterest(Conn c) {
      int ops = 0;
      if (!c.inputClosed && (c.lingering || c.inLen < MAX_BUFFERED)) ops |= SelectionKey.OP_READ;
      if (c.pendCount > 0) ops |= SelectionKey.OP_WRITE;
      if (ops != c.ops) {
        c.key.interestOps(ops);
        c.ops = ops;
      }
    }

    void route(Conn c, byte[] b) {
      int variant = connectionClose ? CLOSE
          : http11 ? KEEP_ALIVE : connectionKeepAlive ? KEEP_ALIVE_10 : CLOSE;
      if (variant == CLOSE) c.closeAfter = true;
      boolean head = method == HEAD_METHOD;
      boolean get = head || method == GET_METHOD;
      int h = head ? 1 : 0;
      int pathLen = pathEnd - pathStart;
      if (get && pathLen == HEALTH_PATH.length && regionEquals(b, pathStart, HEALTH_PATH)) {
        respond(c, HEALTH[variant][h], null);
        return;
      }
      if (get && pathLen > DELAY_PATH.length && regionEquals(b, pathStart, DELAY_PATH)) {
        long ms = number(b, pathStart + DELAY_PATH.length, pathEnd);
        if (ms >= 0) {
          long size = DEFAULT_SIZE;
          for (int p = queryStart; p < queryEnd; ) {
            int amp = indexOf(b, '&', p, queryEnd);
            if (amp < 0) amp = queryEnd;
            if (amp - p >= SIZE_EQ.length && regionEquals(b, p, SIZE_EQ)) {
              size = number(b, p + SIZE_EQ.length, amp);
            }
            p = amp + 1;
          }
          if (ms > MAX_DELAY_MS || size < 0 || size > MAX_SIZE) {
            respond(c, BAD_PARAM[variant][h], null);
          } else if (ms == 0) {
            respond(c, delayHeader((int) size, variant), head ? null : body((int) size));
          } else {
            c.waiting = true;
            c.due = System.nanoTime() + ms * 1_000_000L;
            c.dSize = (int) size;
            c.dVariant = variant;
            c.dHead = head;
            timers.add(c);
          }
          return;
        }
      }
      respond(c, NOT_FOUND[variant][h], null);
    }

    /**
     * Parses the request starting at b[pos]: the position after its header block, or NEED_MORE,
     * MALFORMED, HEADER_TOO_LARGE, CHUNKED. Fills the request fields of this loop.
     */
    int parse(Conn c, byte[] b, int pos, int end) {
      // The end of the header block: a line feed followed by an empty line.
      int limit = Math.min(end, pos + MAX_HEADER);
      int hEnd = -1;
      for (int i = pos + Math.max(0, c.scanned - 3); i < limit; i++) {
        if (b[i] == '\n') {
          if (i + 1 < end && b[i + 1] == '\n') {
            hEnd = i + 2;
            break;
          }
          if (i + 2 < end && b[i + 1] == '\r' && b[i + 2] == '\n') {
            hEnd = i + 3;
            break;
          }
        }
      }
      if (hEnd < 0) {
        if (end - pos >= MAX_HEADER) return HEADER_TOO_LARGE;
        c.scanned = end - pos;
        return NEED_MORE;
      }
      if (hEnd - pos > MAX_HEADER) return HEADER_TOO_LARGE;

      // Request line: method SP target SP HTTP/1.x
      int le = indexOf(b, '\n', pos, hEnd);
      int lineEnd = le > pos && b[le - 1] == '\r' ? le - 1 : le;
      int sp1 = indexOf(b, ' ', pos, lineEnd);
      if (sp1 <= pos) return MALFORMED;
      for (int i = pos; i < sp1; i++) if (!tchar(b[i])) return MALFORMED;
      int ts = sp1 + 1;
      int sp2 = indexOf(b, ' ', ts, lineEnd);
      if (sp2 <= ts) return MALFORMED;
      int vs = sp2 + 1;
      if (lineEnd - vs != 8 || !regionEquals(b, vs, HTTP1) || b[vs + 7] < '0' || b[vs + 7] > '9') {
        return MALFORMED;
      }
      http11 = b[vs + 7] != '0';
      for (int i = ts; i < sp2; i++) {
        int x = b[i] & 0xff;
        if (x <= 0x20 || x >= 0x7f) return MALFORMED;
      }
      int mlen = sp1 - pos;
      method = mlen == 3 && regionEquals(b, pos, GET) ? GET_METHOD
          : mlen == 4 && regionEquals(b, pos, HEAD) ? HEAD_METHOD : OTHER_METHOD;
      int ps;
      if (b[ts] == '/') {
        ps = ts;
      } else if (b[ts] == '*' && sp2 - ts == 1) {
        ps = sp2;
      } else { // absolute form: scheme://authority/path
        int colon = indexOf(b, ':', ts, sp2);
        if (colon <= ts || colon + 2 >= sp2 || b[colon + 1] != '/' || b[colon + 2] != '/') {
          return MALFORMED;
        }
        int slash = indexOf(b, '/', colon + 3, sp2);
        ps = slash < 0 ? sp2 : slash;
      }
      int te = sp2;
      int hash = indexOf(b, '#', ps, te);
      if (hash >= 0) te = hash;
      int q = indexOf(b, '?', ps, te);
      pathStart = ps;
      pathEnd = q < 0 ? te : q;
      queryStart = q < 0 ? te : q + 1;
      queryEnd = te;

      // Header fields: name ":" OWS value OWS
      long cl = -1;
      boolean close = false, keepAlive = false, transferEncoding = false;
      int ls = le + 1;
      while (true) {
        int nl = indexOf(b, '\n', ls, hEnd);
        int e = nl > ls && b[nl - 1] == '\r' ? nl - 1 : nl;
        if (e == ls) break; // the empty line
        int colon = -1;
        for (int i = ls; i < e; i++) {
          byte x = b[i];
          if (x == ':') {
            colon = i;
            break;
          }
          if (!tchar(x)) return MALFORMED; // also rejects obsolete line folding
        }
        if (colon <= ls) return MALFORMED;
        int v = colon + 1, ve = e;
        for (int i = v; i < ve; i++) {
          int x = b[i] & 0xff;
          if ((x < 0x20 && x != '\t') || x == 0x7f) return MALFORMED;
        }
        while (v < ve && (b[v] == ' ' || b[v] == '\t')) v++;
        while (ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) ve--;
        int nameLen = colon - ls;
        if (nameLen == CONTENT_LENGTH.length && equalsIgnoreCase(b, ls, CONTENT_LENGTH)) {
          long n = number(b, v, ve);
          if (n < 0 || n == Long.MAX_VALUE || (cl >= 0 && cl != n)) return MALFORMED;
          cl = n;
        } else if (nameLen == TRANSFER_ENCODING.length
            && equalsIgnoreCase(b, ls, TRANSFER_ENCODING)) {
          transferEncoding = true;
        } else if (nameLen == CONNECTION_NAME.length && equalsIgnoreCase(b, ls, CONNECTION_NAME)) {
          for (int p = v; p < ve; ) {
            int comma = indexOf(b, ',', p, ve);
            if (comma < 0) comma = ve;
            int s = p, t = comma;
            while (s < t && (b[s] == ' ' || b[s] == '\t')) s++;
            while (t > s && (b[t - 1] == ' ' || b[t - 1] == '\t')) t--;
            if (t - s == CLOSE_TOKEN.length && equalsIgnoreCase(b, s, CLOSE_TOKEN)) close = true;
            if (t - s == KEEP_ALIVE_TOKEN.length && equalsIgnoreCase(b, s, KEEP_ALIVE_TOKEN)) {
              keepAlive = true;
            }
            p = comma + 1;
          }
        }
        ls = nl + 1;
      }
      if (transferEncoding) return CHUNKED;
      connectionClose = close;
      connectionKeepAlive = keepAlive;
      contentLength = cl < 0 ? 0 : cl;
      return hEnd;
    }

    /**
     * Queues a response: batched in `out` when small, else written directly. Returns false when
     * the connection cannot take its next request now (output pending, or closed).
     */
    boolean respond(Conn c, byte[] head, ByteBuffer body) {
      if (c.pendCount > 0) { // behind earlier output: keep the order
        stash(c, ByteBuffer.wrap(head));
        if (body != null) stash(c, body);
        return false;
      }
      int len = head.length + (body == null ? 0 : body.remaining());
      if (len > out.remaining()) {
        if (!flush(c)) {
          if (c.closed) return false;
          stash(c, ByteBuffer.wrap(head));
          if (body != null) stash(c, body);
          return false;
        }
        if (len > out.remaining()) { // bigger than the batch buffer: gathering write
          ByteBuffer[] bufs = body == null ? new ByteBuffer[] {ByteBuffer.wrap(head)}
              : new ByteBuffer[] {ByteBuffer.wrap(head), body};
          try {
            c.ch.write(bufs);
          } catch (IOException e) {
            close(c);
            return false;
          }
          for (ByteBuffer x : bufs) if (x.hasRemaining()) stash(c, x);
          return c.pendCount == 0;
        }
      }
      out.put(head);
      if (body != null) out.put(body);
      return true;
    }

    /** Writes the batch in `out`; what the socket does not take is kept on the connection. */
    boolean flush(Conn c) {
      if (out.position() == 0) return true;
      out.flip();
      try {
        c.ch.write(out);
      } catch (IOException e) {
        out.clear();
        close(c);
        return false;
      }
      boolean all = !out.hasRemaining();
      if (!all) {
        ByteBuffer rest = ByteBuffer.allocate(out.remaining());
        rest.put(out).flip();
        stash(c, rest);
      }
      out.clear();
      return all;
    }

    static void stash(Conn c, ByteBuffer b) {
      if (c.pend == null) c.pend = new ByteBuffer[4];
      else if (c.pendCount == c.pend.length) c.pend = Arrays.copyOf(c.pend, c.pendCount * 2);
      c.pend[c.pendCount++] = b;
    }

    /** Keeps b[from, to) as the connection's unprocessed input. */
    static void keep(Conn c, byte[] b, int from, int to) {
      int n = to - from;
      if (n <= 0) {
        c.in = null;
        c.inLen = 0;
        return;
      }
      if (b == c.in) {
        if (from > 0) System.arraycopy(b, from, b, 0, n);
      } else {
        if (c.in == null || c.in.length < n) c.in = new byte[Math.max(n, 1024)];
        System.arraycopy(b, from, c.in, 0, n);
      }
      c.inLen = n;
    }

    byte[] delayHeader(int size, int variant) {
      int key = size * 3 + variant;
      if (key == lastHeaderKey) return lastHeader;
      byte[] h = delayHeaders.get(key);
      if (h == null) {
        if (delayHeaders.size() >= 4096) delayHeaders.clear();
        h = ascii("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
            + size + "\r\n" + CONNECTION[variant] + "\r\n");
        delayHeaders.put(key, h);
      }
      lastHeaderKey = key;
      lastHeader = h;
      return h;
    }

    static void close(Conn c) {
      if (c.closed) return;
      c.closed = true;
      c.in = null;
      c.inLen = 0;
      c.pend = null;
      c.pendIdx = c.pendCount = 0;
      if (c.key != null) c.key.cancel();
      closeQuietly(c.ch);
    }
  }

  /** A body of `size` filler bytes: a view of the shared buffer, no copy. */
  static ByteBuffer body(int size) {
    ByteBuffer f = filler;
    if (f.capacity() < size) f = growFiller(size);
    ByteBuffer d = f.duplicate();
    d.limit(size);
    return d;
  }

  static synchronized ByteBuffer growFiller(int size) {
    ByteBuffer f = filler;
    if (f.capacity() < size) {
      filler = f = newFiller(Math.max(size, Math.min(MAX_SIZE, Integer.highestOneBit(size) << 1)));
    }
    return f;
  }

  static ByteBuffer newFiller(int capacity) {
    ByteBuffer b = ByteBuffer.allocateDirect(capacity);
    byte[] chunk = new byte[Math.min(capacity, 64 * 1024)];
    Arrays.fill(chunk, (byte) 'x');
    while (b.hasRemaining()) b.put(chunk, 0, Math.min(chunk.length, b.remaining()));
    b.clear();
    return b.asReadOnlyBuffer();
  }

  static byte[][][] simple(int status, String reason, String body) {
    byte[][][] r = new byte[3][2][];
    for (int v = 0; v < 3; v++) {
      String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\n"
          + "Content-Length: " + body.length() + "\r\n" + CONNECTION[v] + "\r\n";
      r[v][0] = ascii(head + body);
      r[v][1] = ascii(head);
    }
    return r;
  }

  /** Decimal digits in b[s, e): the value, -1 if empty or not digits, MAX_VALUE if huge. */
  static long number(byte[] b, int s, int e) {
    if (s >= e) return -1;
    long n = 0;
    for (int i = s; i < e; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) return -1;
      n = n >= 100_000_000_000_000L ? Long.MAX_VALUE : n * 10 + d;
    }
    return n;
  }

  static boolean tchar(byte x) {
    return x >= 0 && TCHAR[x];
  }

  static int indexOf(byte[] b, char ch, int from, int to) {
    for (int i = from; i < to; i++) if (b[i] == ch) return i;
    return -1;
  }

  static boolean regionEquals(byte[] b, int off, byte[] lit) {
    for (int i = 0; i < lit.length; i++) if (b[off + i] != lit[i]) return false;
    return true;
  }

  /** lit is lower case letters and '-'; b's bytes are already known to be tokens. */
  static boolean equalsIgnoreCase(byte[] b, int off, byte[] lit) {
    for (int i = 0; i < lit.length; i++) if ((b[off + i] | 0x20) != lit[i]) return false;
    return true;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
