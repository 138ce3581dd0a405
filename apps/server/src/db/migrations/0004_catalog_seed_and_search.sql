-- Service categories offered at launch; admins can add and edit them later.
INSERT INTO "categories" ("slug", "name", "description", "sort_order") VALUES
  ('electrician', 'Electrician', 'Wiring, sockets, lighting, fuse boxes and electrical repairs', 10),
  ('plumber', 'Plumber', 'Leaks, pipes, taps, toilets, water heaters and drains', 20),
  ('cleaner', 'Cleaner', 'Home and office cleaning, deep cleans, end-of-tenancy cleaning', 30),
  ('carpenter', 'Carpenter', 'Doors, shelves, furniture assembly and woodwork repairs', 40),
  ('painter', 'Painter & decorator', 'Interior and exterior painting, wallpapering and finishing', 50),
  ('handyman', 'Handyman', 'Small repairs, mounting, assembly and odd jobs around the house', 60),
  ('hvac', 'Heating & air conditioning', 'Boilers, radiators, heat pumps and air conditioning service', 70),
  ('locksmith', 'Locksmith', 'Lock changes, lockouts, key cutting and security upgrades', 80),
  ('gardener', 'Gardener', 'Lawn care, hedges, planting, garden clearance and landscaping', 90),
  ('mover', 'Mover', 'House and office moves, packing and furniture transport', 100),
  ('appliance-repair', 'Appliance repair', 'Washing machines, fridges, ovens, dishwashers and dryers', 110),
  ('pest-control', 'Pest control', 'Insects, rodents and wasp nests, treatment and prevention', 120),
  ('roofer', 'Roofer', 'Roof repairs, tiles, gutters and leaks', 130),
  ('tiler', 'Tiler', 'Floor and wall tiling, grouting and bathroom tiling', 140);
--> statement-breakpoint
-- The contractor search document includes the user's name, which lives in another table: refresh it when
-- the name changes so search never shows a stale name.
CREATE FUNCTION contractor_search_document(name text, headline text, bio text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE AS $$
    SELECT setweight(to_tsvector('simple', coalesce(name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(headline, '')), 'A')
        || setweight(to_tsvector('english', coalesce(bio, '')), 'B')
  $$;
--> statement-breakpoint
CREATE FUNCTION refresh_contractor_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contractor_profiles
     SET search_document = contractor_search_document(NEW.name, headline, bio)
   WHERE user_id = NEW.id;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER users_name_refreshes_contractor_search
  AFTER UPDATE OF name ON users
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
  EXECUTE FUNCTION refresh_contractor_search();
