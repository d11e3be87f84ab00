-- Where the console may be used from, and the regions it offers.
ALTER TABLE account_settings
    -- Console sign-in only from these CIDR ranges; empty allows any address.
    ADD COLUMN sign_in_ranges TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN regions TEXT[] NOT NULL DEFAULT '{us-east-1,us-west-2,eu-west-1,eu-central-1,ap-southeast-1}',
    ADD COLUMN availability_zones TEXT[] NOT NULL DEFAULT '{us-east-1a,us-east-1b,us-east-1c,us-west-2a,us-west-2b,eu-west-1a,eu-west-1b,eu-central-1a,eu-central-1b,ap-southeast-1a,ap-southeast-1b}';
