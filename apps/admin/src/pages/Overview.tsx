import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok, type Schemas } from "../api/client.js";
import { Loaded, money, moneyList } from "../ui.js";

type Metrics = Schemas["AdminMetrics"];

const periods = { "7 days": 7, "30 days": 30, "90 days": 90 } as const;

export function Overview() {
  const [days, setDays] = useState<number>(30);
  const query = useQuery({
    queryKey: ["metrics", days],
    queryFn: () => {
      const to = new Date();
      const from = new Date(to.getTime() - days * 86_400_000);
      return ok(
        api.GET("/api/v1/admin/metrics", {
          params: { query: { from: from.toISOString(), to: to.toISOString() } },
        }),
      );
    },
  });
  return (
    <section>
      <header className="page-header">
        <h1>Overview</h1>
        <fieldset className="segmented" aria-label="Period">
          {Object.entries(periods).map(([label, value]) => (
            <button type="button" key={label} aria-pressed={days === value} onClick={() => setDays(value)}>
              {label}
            </button>
          ))}
        </fieldset>
      </header>
      <Loaded query={query} what="The overview">
        {(metrics) => <Figures metrics={metrics} />}
      </Loaded>
    </section>
  );
}

function Figures({ metrics }: { metrics: Metrics }) {
  const { users, bookings } = metrics;
  const cards: [string, string, string?][] = [
    ["Customers", String(users.byRole.customer)],
    ["Contractors", String(users.byRole.contractor)],
    ["Suspended accounts", String(users.byStatus.suspended)],
    ["New sign-ups", String(users.newSignUps), "in the period"],
    ["Open jobs", String(metrics.openJobs), "now"],
    ["Bookings", String(bookings.created), "created in the period"],
    ["Gross booking value", moneyList(metrics.grossBookingValue), "paid in the period"],
    ["Commission earned", moneyList(metrics.commissionEarned), "in the period, less refunds after release"],
    ["Money held in escrow", moneyList(metrics.moneyHeld), "now"],
    ["Pending verifications", String(metrics.pendingVerifications), "now"],
    ["Open disputes", String(metrics.openDisputes), "now"],
  ];
  return (
    <>
      <div className="cards">
        {cards.map(([label, value, note]) => (
          <div className="card" key={label}>
            <div className="card-label">{label}</div>
            <div className="card-value">{value}</div>
            {note && <div className="card-note">{note}</div>}
          </div>
        ))}
      </div>
      <h2>Bookings, value paid and commission per day</h2>
      <Chart daily={metrics.daily} />
      <h2>Bookings by status</h2>
      <table className="compact">
        <tbody>
          {Object.entries(bookings.byStatus).map(([status, count]) => (
            <tr key={status}>
              <th scope="row">{status.replace(/_/g, " ")}</th>
              <td>{count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * Bars: bookings created each day; lines: value paid and commission earned each day, in the period's main
 * currency, on one scale (commission is a share of the value).
 */
function Chart({ daily }: { daily: Metrics["daily"] }) {
  const currency =
    daily.flatMap((day) => day.grossBookingValue).find((value) => value.amount > 0)?.currency ?? "gbp";
  const value = (list: { amount: number; currency: string }[]) =>
    list.find((entry) => entry.currency === currency)?.amount ?? 0;
  const width = 720;
  const height = 220;
  const pad = 28;
  const maxBookings = Math.max(1, ...daily.map((day) => day.bookings));
  const peakValue = Math.max(0, ...daily.map((day) => value(day.grossBookingValue)));
  const peakCommission = Math.max(0, ...daily.map((day) => value(day.commissionEarned)));
  // A day can give back more commission than it earned: the scale reaches down to the lowest point.
  const lowest = Math.min(0, ...daily.map((day) => value(day.commissionEarned)));
  const highest = Math.max(1, peakValue, peakCommission);
  const step = (width - 2 * pad) / Math.max(1, daily.length);
  const y = (fraction: number) => height - pad - fraction * (height - 2 * pad);
  const scaled = (amount: number) => y((amount - lowest) / (highest - lowest));
  const line = (pick: (day: Metrics["daily"][number]) => number) =>
    daily.map((day, i) => `${pad + step * (i + 0.5)},${scaled(pick(day))}`).join(" ");
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label="Bookings, value paid and commission per day"
      >
        <line x1={pad} x2={width - pad} y1={height - pad} y2={height - pad} className="axis" />
        {daily.map((day, i) => (
          <rect
            key={day.date}
            x={pad + step * i + step * 0.15}
            width={step * 0.7}
            y={y(day.bookings / maxBookings)}
            height={height - pad - y(day.bookings / maxBookings)}
            className="bar"
          >
            <title>{`${day.date}: ${day.bookings} bookings, ${money({ amount: value(day.grossBookingValue), currency })} paid, ${money({ amount: value(day.commissionEarned), currency })} commission`}</title>
          </rect>
        ))}
        <polyline points={line((day) => value(day.grossBookingValue))} className="revenue" />
        <polyline points={line((day) => value(day.commissionEarned))} className="commission" />
        <text x={pad} y={16} className="legend">
          peak: {Math.max(0, ...daily.map((day) => day.bookings))} bookings ·{" "}
          {money({ amount: peakValue, currency })} paid · {money({ amount: peakCommission, currency })}{" "}
          commission a day
        </text>
        {daily.length > 0 && (
          <>
            <text x={pad} y={height - 8} className="legend">
              {daily[0]?.date}
            </text>
            <text x={width - pad} y={height - 8} textAnchor="end" className="legend">
              {daily.at(-1)?.date}
            </text>
          </>
        )}
      </svg>
      <figcaption>
        <span className="key bar-key" /> bookings created <span className="key revenue-key" /> value paid{" "}
        <span className="key commission-key" /> commission earned ({currency.toUpperCase()})
      </figcaption>
    </figure>
  );
}
