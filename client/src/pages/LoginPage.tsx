import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { useLogin, useMe, useSignInHint } from '../api/hooks';
import { FormField } from '../components/FormField';
import { Alert, Loading } from '../components/States';

/** Only same-site paths are followed after sign-in. */
function safeNext(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}

function loginError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429) return 'Too many sign-in attempts. Please wait a moment and try again.';
    if (err.status === 400 || err.status === 401 || err.status === 403) {
      const errors = err.fieldErrors;
      const general = [...(errors.non_field_errors ?? []), ...(errors.detail ?? [])];
      return general.length ? general.join(' ') : 'Incorrect username or password.';
    }
  }
  return errorMessage(err);
}

export function LoginPage() {
  const me = useMe();
  const login = useLogin();
  const hint = useSignInHint();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);

  if (me.isPending) {
    return (
      <main className="page page-center">
        <Loading label="Checking your session…" />
      </main>
    );
  }
  if (me.data && !login.isPending) return <Navigate to={next} replace />;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!username.trim() || !password) {
      setMissing(true);
      return;
    }
    setMissing(false);
    login.mutate(
      { username: username.trim(), password },
      { onSuccess: () => navigate(next, { replace: true }) },
    );
  };

  return (
    <main className="page page-center">
      <form className="card login-card" onSubmit={onSubmit} noValidate aria-labelledby="login-title">
        <h1 id="login-title">Sign in to SimCRM</h1>
        {login.isError && <Alert>{loginError(login.error)}</Alert>}
        {missing && <Alert>Enter your username and password.</Alert>}
        <FormField id="login-username" name="username" label="Username">
          {(control) => (
            <input
              {...control}
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
              autoFocus
              data-testid="login-username"
            />
          )}
        </FormField>
        <FormField id="login-password" name="password" label="Password">
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              data-testid="login-password"
            />
          )}
        </FormField>
        <button type="submit" className="btn btn-primary btn-block" disabled={login.isPending} data-testid="login-submit">
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        {hint.data && (
          <p className="muted small sign-in-hint" data-testid="sign-in-hint">
            {hint.data}
          </p>
        )}
      </form>
    </main>
  );
}
