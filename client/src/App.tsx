import type { ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useLogout, useMe } from './api/hooks';
import { ErrorState, Loading } from './components/States';
import { StatusBanner } from './components/StatusBanner';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { LoginPage } from './pages/LoginPage';
import { NewSimulationPage } from './pages/NewSimulationPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PersonasPage } from './pages/PersonasPage';
import { SimulationDetailPage } from './pages/SimulationDetailPage';
import { SimulationListPage } from './pages/SimulationListPage';

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        path="/"
        element={
          <RequireAuth>
            <SimulationListPage />
          </RequireAuth>
        }
      />
      <Route
        path="/simulations/new"
        element={
          <RequireAuth>
            <NewSimulationPage />
          </RequireAuth>
        }
      />
      <Route
        path="/simulations/:id"
        element={
          <RequireAuth>
            <SimulationDetailPage />
          </RequireAuth>
        }
      />
      <Route
        path="/connections"
        element={
          <RequireAuth>
            <ConnectionsPage />
          </RequireAuth>
        }
      />
      <Route
        path="/personas"
        element={
          <RequireAuth staffOnly>
            <PersonasPage />
          </RequireAuth>
        }
      />
      <Route
        path="*"
        element={
          <RequireAuth>
            <NotFoundPage />
          </RequireAuth>
        }
      />
    </Routes>
  );
}

function RequireAuth({ children, staffOnly = false }: { children: ReactNode; staffOnly?: boolean }) {
  const me = useMe();
  const location = useLocation();

  if (me.isPending) {
    return (
      <main className="page page-center">
        <Loading label="Checking your session…" />
      </main>
    );
  }
  if (me.isError) {
    return (
      <main className="page page-center">
        <ErrorState title="Could not check your session" error={me.error} onRetry={() => void me.refetch()} />
      </main>
    );
  }
  if (!me.data) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <Layout username={me.data.username} isStaff={me.data.is_staff}>
      {staffOnly && !me.data.is_staff ? (
        <section className="state state-empty">
          <h1>Staff only</h1>
          <p>The persona cache is only available to staff members.</p>
        </section>
      ) : (
        children
      )}
    </Layout>
  );
}

function Layout({ username, isStaff, children }: { username: string; isStaff: boolean; children: ReactNode }) {
  const logout = useLogout();
  const navigate = useNavigate();
  const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? 'nav-link active' : 'nav-link');

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" end>
          SimCRM
        </NavLink>
        <nav aria-label="Main" className="nav">
          <NavLink to="/" end className={navClass}>
            Simulations
          </NavLink>
          <NavLink to="/simulations/new" className={navClass}>
            New simulation
          </NavLink>
          <NavLink to="/connections" className={navClass} data-testid="nav-connections">
            Connections
          </NavLink>
          {isStaff && (
            <NavLink to="/personas" className={navClass}>
              Persona cache
            </NavLink>
          )}
          {isStaff && (
            // Django's admin, outside the client: a plain link, so the browser loads it.
            <a href="/admin/" className="nav-link" data-testid="nav-admin" title="Django admin: jobs, records, connections, persona pools">
              Admin
            </a>
          )}
        </nav>
        <div className="user">
          <span className="muted" data-testid="current-user">
            {username}
          </span>
          <button
            type="button"
            className="btn btn-small"
            disabled={logout.isPending}
            onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login', { replace: true }) })}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        <StatusBanner />
        {children}
      </main>
    </>
  );
}
