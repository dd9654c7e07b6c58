// The floor: the benchmark's SQL run straight through the SQLite libsql-cpp links, statements prepared
// once and cached per connection, no adapter, no conversion to JS. bench/bench.mjs drives it
// over stdin/stdout (one command per line, one JSON reply per line) so that it takes part in
// the same interleaved rounds as the Node adapters:
//
//   open <connections> <len>\n<path>        path or ":memory:" (always one connection);
//                                           sets synchronous=FULL, foreign_keys=ON,
//                                           busy_timeout=5000; journal_mode is the file's (WAL)
//   script <len>\n<sql>                     sqlite3_exec on connection 0 (seeding :memory:)
//   reset                                   forget the programs
//   prog <weight>                           start a program (a workload op); weights sum to 100
//   step <kind> <nargs> <len>\n<sql>        kind: q (read every row and column), x (execute),
//                                           B (BEGIN), C (COMMIT); then nargs argument lines:
//     n | i <int64> | f <double> | t <len>\n<bytes> | b <len>\n<bytes>
//     | v <base> <mult> <add> <mod>         the per-op variable base + (seq*mult + add) % mod
//   ready                                   prepare every step on every connection
//   run <ms> <minops> <concurrency>         run ops until ms elapsed and minops done; threads =
//                                           min(concurrency, connections), each on its own
//                                           connection. Reply: {"ops","secs","lat_us":[...]}
//   rss                                     {"vmhwm_kb","vmrss_kb"}
//   quit
//
// An op with several programs picks one by the same hash of its sequence number as the Node
// side: ((seq * 2654435761) mod 2^32 >> 16) % 100 against the cumulative weights.
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CONN 16
#define MAX_PROGS 8

typedef struct {
  char kind;  // n i f t b v
  int64_t i;
  double f;
  char *s;
  int len;
  int64_t base, mult, add, mod;
} Arg;

typedef struct {
  char kind;  // q x B C
  char *sql;
  int nargs;
  Arg *args;
  int id;  // index into each connection's statement array
} Step;

typedef struct {
  int weight;
  int nsteps;
  Step *steps;
  int writes;  // has a statement that is not read-only: runs under write_lock when threads > 1
} Prog;

static sqlite3 *conns[MAX_CONN];
static int nconn = 0;
static sqlite3_stmt **stmts[MAX_CONN];  // [conn][step id]
static int nstmts = 0;
static Prog progs[MAX_PROGS];
static int nprogs = 0;
static volatile uint64_t sink = 0;
// One writer at a time, taken in-process (as a client with a single writer connection does),
// so that concurrent writers queue on a mutex instead of sleeping in SQLite's busy handler.
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static void reply_error(const char *what, const char *msg) {
  printf("{\"error\":\"%s: ", what);
  for (const char *p = msg ? msg : "?"; *p; ++p) {
    if (*p == '"' || *p == '\\') putchar('\\');
    if ((unsigned char)*p < 0x20) continue;
    putchar(*p);
  }
  printf("\"}\n");
  fflush(stdout);
}

static void reply_ok(void) {
  printf("{\"ok\":true}\n");
  fflush(stdout);
}

static char *read_payload(int len) {
  char *buf = malloc((size_t)len + 1);
  if (!buf) abort();
  if (len > 0 && fread(buf, 1, (size_t)len, stdin) != (size_t)len) {
    fprintf(stderr, "floor: short payload\n");
    exit(2);
  }
  buf[len] = 0;
  int c = getchar();  // the newline after the payload
  if (c != '\n' && c != EOF) ungetc(c, stdin);
  return buf;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void free_programs(void) {
  for (int c = 0; c < nconn; ++c) {
    if (!stmts[c]) continue;
    for (int s = 0; s < nstmts; ++s) sqlite3_finalize(stmts[c][s]);
    free(stmts[c]);
    stmts[c] = NULL;
  }
  for (int p = 0; p < nprogs; ++p) {
    for (int s = 0; s < progs[p].nsteps; ++s) {
      Step *st = &progs[p].steps[s];
      for (int a = 0; a < st->nargs; ++a) free(st->args[a].s);
      free(st->args);
      free(st->sql);
    }
    free(progs[p].steps);
  }
  nprogs = 0;
  nstmts = 0;
}

static void close_all(void) {
  free_programs();
  for (int c = 0; c < nconn; ++c) sqlite3_close_v2(conns[c]);
  nconn = 0;
}

static int pragma_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

static void cmd_open(int n, char *path) {
  close_all();
  int memory = strcmp(path, ":memory:") == 0;
  if (memory || n < 1) n = 1;
  if (n > MAX_CONN) n = MAX_CONN;
  for (int c = 0; c < n; ++c) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &conns[c], flags, NULL) != SQLITE_OK) {
      reply_error("open", sqlite3_errmsg(conns[c]));
      sqlite3_close_v2(conns[c]);
      return;
    }
    nconn = c + 1;
    char *err = NULL;
    if (sqlite3_exec(conns[c], "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
                     NULL, NULL, &err) != SQLITE_OK) {
      reply_error("pragma", err);
      sqlite3_free(err);
      return;
    }
  }
  char mode[32] = "?";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(conns[0], "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  printf("{\"ok\":true,\"connections\":%d,\"journal_mode\":\"%s\",\"synchronous\":%d,\"version\":\"%s\"}\n",
         nconn, mode, pragma_int(conns[0], "PRAGMA synchronous"), sqlite3_libversion());
  fflush(stdout);
}

static int prepare_all(void) {
  for (int c = 0; c < nconn; ++c) {
    stmts[c] = calloc((size_t)(nstmts ? nstmts : 1), sizeof(sqlite3_stmt *));
    for (int p = 0; p < nprogs; ++p) {
      for (int s = 0; s < progs[p].nsteps; ++s) {
        Step *st = &progs[p].steps[s];
        const char *sql = st->kind == 'B' ? "BEGIN" : st->kind == 'C' ? "COMMIT" : st->sql;
        if (sqlite3_prepare_v3(conns[c], sql, -1, SQLITE_PREPARE_PERSISTENT, &stmts[c][st->id], NULL) !=
            SQLITE_OK) {
          reply_error("prepare", sqlite3_errmsg(conns[c]));
          return 0;
        }
        if (st->kind != 'q' || !sqlite3_stmt_readonly(stmts[c][st->id])) progs[p].writes = 1;
      }
    }
  }
  return 1;
}

typedef struct {
  int conn;
  int thread;
  int threads;
  double end;
  int64_t minops;
  int64_t ops;
  double *lat;
  int64_t cap;
  char err[512];
} Worker;

static int run_step(sqlite3 *db, sqlite3_stmt *st, const Step *step, int64_t seq) {
  for (int a = 0; a < step->nargs; ++a) {
    const Arg *arg = &step->args[a];
    int idx = a + 1;
    switch (arg->kind) {
      case 'n': sqlite3_bind_null(st, idx); break;
      case 'i': sqlite3_bind_int64(st, idx, arg->i); break;
      case 'f': sqlite3_bind_double(st, idx, arg->f); break;
      case 't': sqlite3_bind_text(st, idx, arg->s, arg->len, SQLITE_STATIC); break;
      case 'b': sqlite3_bind_blob(st, idx, arg->s, arg->len, SQLITE_STATIC); break;
      case 'v': sqlite3_bind_int64(st, idx, arg->base + (seq * arg->mult + arg->add) % arg->mod); break;
      default: break;
    }
  }
  int rc;
  uint64_t acc = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (step->kind != 'q') continue;
    int n = sqlite3_column_count(st);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER: acc += (uint64_t)sqlite3_column_int64(st, c); break;
        case SQLITE_FLOAT: acc += (uint64_t)sqlite3_column_double(st, c); break;
        case SQLITE_TEXT: {
          const unsigned char *t = sqlite3_column_text(st, c);
          acc += (uint64_t)sqlite3_column_bytes(st, c) + (t ? t[0] : 0);
          break;
        }
        case SQLITE_BLOB: {
          const unsigned char *b = sqlite3_column_blob(st, c);
          int len = sqlite3_column_bytes(st, c);
          acc += (uint64_t)len + (len ? b[0] : 0);
          break;
        }
        default: break;
      }
    }
  }
  sqlite3_reset(st);
  sink += acc;
  (void)db;
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int pick_program(int64_t seq) {
  if (nprogs == 1) return 0;
  uint32_t h = (uint32_t)((uint64_t)seq * 2654435761u);
  int r = (int)((h >> 16) % 100);
  int acc = 0;
  for (int p = 0; p < nprogs; ++p) {
    acc += progs[p].weight;
    if (r < acc) return p;
  }
  return nprogs - 1;
}

static int64_t next_seq = 0;  // continues across runs, like the Node side's counter

static void *worker_main(void *arg) {
  Worker *w = arg;
  sqlite3 *db = conns[w->conn];
  int64_t k = 0;
  for (;;) {
    double s = now_s();
    if (s >= w->end && w->ops >= w->minops) break;
    int64_t seq = next_seq + w->thread + k * w->threads;
    ++k;
    const Prog *p = &progs[pick_program(seq)];
    int locked = p->writes && w->threads > 1;
    if (locked) pthread_mutex_lock(&write_lock);
    for (int i = 0; i < p->nsteps; ++i) {
      const Step *step = &p->steps[i];
      int rc = run_step(db, stmts[w->conn][step->id], step, seq);
      if (rc != SQLITE_OK) {
        snprintf(w->err, sizeof w->err, "%s (step %d: %.80s)", sqlite3_errmsg(db), i, step->sql);
        if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        if (locked) pthread_mutex_unlock(&write_lock);
        return NULL;
      }
    }
    if (locked) pthread_mutex_unlock(&write_lock);
    double e = now_s();
    if (w->ops == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 4096;
      w->lat = realloc(w->lat, (size_t)w->cap * sizeof(double));
    }
    w->lat[w->ops++] = (e - s) * 1e6;
  }
  return NULL;
}

static void cmd_run(double ms, int64_t minops, int conc) {
  int threads = conc < nconn ? conc : nconn;
  if (threads < 1) threads = 1;
  Worker ws[MAX_CONN];
  memset(ws, 0, sizeof ws);
  pthread_t tids[MAX_CONN];
  double t0 = now_s();
  for (int t = 0; t < threads; ++t) {
    ws[t].conn = t;
    ws[t].thread = t;
    ws[t].threads = threads;
    ws[t].end = t0 + ms / 1000.0;
    ws[t].minops = (minops + threads - 1) / threads;
  }
  if (threads == 1) {
    worker_main(&ws[0]);
  } else {
    for (int t = 0; t < threads; ++t) pthread_create(&tids[t], NULL, worker_main, &ws[t]);
    for (int t = 0; t < threads; ++t) pthread_join(tids[t], NULL);
  }
  double secs = now_s() - t0;
  int64_t ops = 0, maxk = 0;
  for (int t = 0; t < threads; ++t) {
    if (ws[t].err[0]) {
      reply_error("run", ws[t].err);
      for (int u = 0; u < threads; ++u) free(ws[u].lat);
      return;
    }
    ops += ws[t].ops;
    if (ws[t].ops > maxk) maxk = ws[t].ops;
  }
  next_seq += maxk * threads;
  printf("{\"ops\":%" PRId64 ",\"secs\":%.6f,\"threads\":%d,\"lat_us\":[", ops, secs, threads);
  int first = 1;
  for (int t = 0; t < threads; ++t) {
    for (int64_t i = 0; i < ws[t].ops; ++i) {
      printf(first ? "%.3f" : ",%.3f", ws[t].lat[i]);
      first = 0;
    }
    free(ws[t].lat);
  }
  printf("]}\n");
  fflush(stdout);
}

static void cmd_rss(void) {
  long hwm = -1, rss = -1;
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    sscanf(line, "VmHWM: %ld", &hwm);
    sscanf(line, "VmRSS: %ld", &rss);
  }
  if (f) fclose(f);
  printf("{\"vmhwm_kb\":%ld,\"vmrss_kb\":%ld}\n", hwm, rss);
  fflush(stdout);
}

static int read_arg(Arg *a) {
  char line[256];
  if (!fgets(line, sizeof line, stdin)) return 0;
  memset(a, 0, sizeof *a);
  a->kind = line[0];
  switch (a->kind) {
    case 'n': return 1;
    case 'i': return sscanf(line + 1, "%" SCNd64, &a->i) == 1;
    case 'f': return sscanf(line + 1, "%lf", &a->f) == 1;
    case 't':
    case 'b':
      if (sscanf(line + 1, "%d", &a->len) != 1) return 0;
      a->s = read_payload(a->len);
      return 1;
    case 'v':
      return sscanf(line + 1, "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64, &a->base, &a->mult, &a->add,
                    &a->mod) == 4 &&
             a->mod > 0;
    default: return 0;
  }
}

int main(void) {
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[16] = {0};
    if (sscanf(line, "%15s", cmd) != 1) continue;
    if (strcmp(cmd, "open") == 0) {
      int n = 0, len = 0;
      sscanf(line + 4, "%d %d", &n, &len);
      char *path = read_payload(len);
      cmd_open(n, path);
      free(path);
    } else if (strcmp(cmd, "script") == 0) {
      int len = 0;
      sscanf(line + 6, "%d", &len);
      char *sql = read_payload(len);
      char *err = NULL;
      if (nconn == 0) reply_error("script", "no database open");
      else if (sqlite3_exec(conns[0], sql, NULL, NULL, &err) != SQLITE_OK) reply_error("script", err);
      else reply_ok();
      sqlite3_free(err);
      free(sql);
    } else if (strcmp(cmd, "reset") == 0) {
      free_programs();
      reply_ok();
    } else if (strcmp(cmd, "prog") == 0) {
      if (nprogs == MAX_PROGS) {
        reply_error("prog", "too many programs");
        continue;
      }
      memset(&progs[nprogs], 0, sizeof(Prog));
      sscanf(line + 4, "%d", &progs[nprogs].weight);
      ++nprogs;
      reply_ok();
    } else if (strcmp(cmd, "step") == 0) {
      char kind = 0;
      int nargs = 0, len = 0;
      sscanf(line + 4, " %c %d %d", &kind, &nargs, &len);
      char *sql = read_payload(len);
      Step st = {.kind = kind, .sql = sql, .nargs = nargs, .args = calloc((size_t)(nargs ? nargs : 1), sizeof(Arg))};
      int ok = nprogs > 0;
      for (int a = 0; a < nargs && ok; ++a) ok = read_arg(&st.args[a]);
      if (!ok) {
        reply_error("step", "bad step or argument line");
        continue;
      }
      Prog *p = &progs[nprogs - 1];
      st.id = nstmts++;
      p->steps = realloc(p->steps, (size_t)(p->nsteps + 1) * sizeof(Step));
      p->steps[p->nsteps++] = st;
      reply_ok();
    } else if (strcmp(cmd, "ready") == 0) {
      if (prepare_all()) reply_ok();
    } else if (strcmp(cmd, "run") == 0) {
      double ms = 0;
      int64_t minops = 1;
      int conc = 1;
      sscanf(line + 3, "%lf %" SCNd64 " %d", &ms, &minops, &conc);
      if (nprogs == 0 || !stmts[0]) reply_error("run", "no programs ready");
      else cmd_run(ms, minops, conc);
    } else if (strcmp(cmd, "rss") == 0) {
      cmd_rss();
    } else if (strcmp(cmd, "quit") == 0) {
      break;
    } else {
      reply_error("command", cmd);
    }
  }
  close_all();
  return (int)(sink & 0);
}
