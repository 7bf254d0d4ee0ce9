CREATE TABLE coupons (code text PRIMARY KEY);
