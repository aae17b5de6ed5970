import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section className="state state-empty">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Back to your simulations</Link>.
      </p>
    </section>
  );
}
