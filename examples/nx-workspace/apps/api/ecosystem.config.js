// The api under PM2. Nothing secret here: main.js reads the database password
// from services/.env itself (PM2 copies an app's environment into `pm2 env`
// and its dump file). PG_PORT and API_PORT come from the shell when set.
module.exports = {
  apps: [
    {
      name: 'api',
      script: 'main.js',
      cwd: __dirname,
      env: { PGHOST: '127.0.0.1', PGUSER: 'app', PGDATABASE: 'app' },
      kill_timeout: 5000,
    },
  ],
};
