// Command authstub stands in for an auth server such as Zitadel in pm2dock's tests
// and demo (image pm2dock-test/authstub:dev, FROM scratch). It has the shape that
// matters to a supervisor: it needs the database, connects to it (retrying while
// it starts), creates its schema, starts slowly, then serves GET /debug/healthz.
//
//	AUTH_DATABASE_URL   postgres://user:password@host:5432/db (required)
//	AUTH_LISTEN=8080    HTTP port
//	AUTH_START_DELAY=2s extra start-up time after the schema is ready
//	AUTH_DB_TIMEOUT=60s how long to keep trying the database
//
// `authstub health` is the image's healthcheck command.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "health" {
		os.Exit(probe())
	}
	os.Exit(run())
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	dsn := os.Getenv("AUTH_DATABASE_URL")
	if dsn == "" {
		fmt.Fprintln(os.Stderr, "authstub: ERROR AUTH_DATABASE_URL is not set")
		return 2
	}
	delay, err1 := time.ParseDuration(env("AUTH_START_DELAY", "2s"))
	dbWait, err2 := time.ParseDuration(env("AUTH_DB_TIMEOUT", "60s"))
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "authstub: ERROR bad AUTH_START_DELAY or AUTH_DB_TIMEOUT")
		return 2
	}
	var ready atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: ":" + env("AUTH_LISTEN", "8080"), Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, "authstub: ERROR listen:", err)
			os.Exit(3)
		}
	}()
	fmt.Println("authstub: level=info msg=\"starting\"")
	conn, err := connect(ctx, dsn, dbWait)
	if err != nil {
		fmt.Fprintln(os.Stderr, "authstub: level=error msg=\"database unavailable\" err=", err)
		return 1
	}
	defer conn.Close(context.Background())
	if err := migrate(ctx, conn); err != nil {
		fmt.Fprintln(os.Stderr, "authstub: level=error msg=\"schema\" err=", err)
		return 1
	}
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return 0
	}
	ready.Store(true)
	fmt.Println("authstub: level=info msg=\"ready\"")
	<-ctx.Done()
	fmt.Println("authstub: level=info msg=\"stopping\"")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return 0
}

func connect(ctx context.Context, dsn string, wait time.Duration) (*pgx.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		conn, err := pgx.Connect(cctx, dsn)
		cancel()
		if err == nil {
			return conn, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		fmt.Println("authstub: level=warn msg=\"waiting for the database\"")
		time.Sleep(500 * time.Millisecond)
	}
}

func migrate(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS authstub_instances (
		id serial PRIMARY KEY, started_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `INSERT INTO authstub_instances DEFAULT VALUES`)
	return err
}

func probe() int {
	cl := http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get("http://127.0.0.1:" + env("AUTH_LISTEN", "8080") + "/debug/healthz")
	if err != nil {
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}
