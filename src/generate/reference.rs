//! Fixed reference data: what a shop sells, where its stores are, and when people buy.
//! Values are plain constants so that the data set reads like a shop, not noise.

/// A product category with its price band, its share of demand and when in the day it sells.
pub struct Category {
    pub name: &'static str,
    /// Share of the catalog that falls in this category.
    pub catalog_share: f64,
    /// Relative demand per product, before popularity.
    pub demand: f64,
    /// Price band of the list price, in cents.
    pub price_cents: (i64, i64),
    /// Demand multiplier per daypart: night, morning, midday, evening.
    pub daypart: [f64; 4],
    pub nouns: &'static [&'static str],
}

pub const CATEGORIES: &[Category] = &[
    Category {
        name: "Grocery",
        catalog_share: 0.20,
        demand: 3.0,
        price_cents: (129, 1_499),
        daypart: [0.6, 1.2, 1.0, 1.1],
        nouns: &[
            "Pasta",
            "Rice",
            "Olive Oil",
            "Cereal",
            "Coffee Beans",
            "Peanut Butter",
            "Granola",
            "Tomato Sauce",
            "Crackers",
            "Honey",
            "Oatmeal",
            "Black Beans",
            "Flour",
            "Salsa",
        ],
    },
    Category {
        name: "Beverages",
        catalog_share: 0.10,
        demand: 3.5,
        price_cents: (99, 1_299),
        daypart: [1.2, 1.1, 1.1, 0.9],
        nouns: &[
            "Sparkling Water",
            "Cold Brew",
            "Orange Juice",
            "Green Tea",
            "Cola 12-Pack",
            "Energy Drink",
            "Almond Milk",
            "Lemonade",
            "Kombucha",
            "Sports Drink",
        ],
    },
    Category {
        name: "Household",
        catalog_share: 0.10,
        demand: 1.4,
        price_cents: (199, 2_499),
        daypart: [0.5, 1.0, 1.1, 1.0],
        nouns: &[
            "Paper Towels",
            "Dish Soap",
            "Laundry Detergent",
            "Trash Bags",
            "Sponges",
            "All-Purpose Cleaner",
            "Light Bulbs",
            "Batteries",
            "Aluminum Foil",
            "Storage Bags",
        ],
    },
    Category {
        name: "Personal Care",
        catalog_share: 0.09,
        demand: 1.3,
        price_cents: (249, 2_999),
        daypart: [0.7, 1.2, 0.9, 1.0],
        nouns: &[
            "Shampoo",
            "Toothpaste",
            "Body Wash",
            "Deodorant",
            "Razors",
            "Hand Soap",
            "Sunscreen",
            "Lip Balm",
            "Face Wash",
            "Conditioner",
        ],
    },
    Category {
        name: "Beauty",
        catalog_share: 0.06,
        demand: 0.8,
        price_cents: (499, 4_999),
        daypart: [0.4, 0.8, 1.1, 1.2],
        nouns: &[
            "Mascara",
            "Moisturizer",
            "Nail Polish",
            "Serum",
            "Lipstick",
            "Foundation",
            "Eye Shadow Palette",
            "Hair Oil",
        ],
    },
    Category {
        name: "Electronics",
        catalog_share: 0.08,
        demand: 0.35,
        price_cents: (999, 49_999),
        daypart: [0.3, 0.6, 1.0, 1.4],
        nouns: &[
            "Wireless Earbuds",
            "USB-C Cable",
            "Bluetooth Speaker",
            "Phone Charger",
            "Smart Plug",
            "Power Bank",
            "HDMI Cable",
            "Headphones",
            "Webcam",
            "Smartwatch",
        ],
    },
    Category {
        name: "Apparel",
        catalog_share: 0.09,
        demand: 0.6,
        price_cents: (799, 7_999),
        daypart: [0.3, 0.7, 1.1, 1.3],
        nouns: &[
            "T-Shirt",
            "Hoodie",
            "Jeans",
            "Socks 6-Pack",
            "Rain Jacket",
            "Leggings",
            "Baseball Cap",
            "Sweater",
            "Sneakers",
            "Flannel Shirt",
        ],
    },
    Category {
        name: "Home & Kitchen",
        catalog_share: 0.08,
        demand: 0.5,
        price_cents: (599, 14_999),
        daypart: [0.3, 0.9, 1.1, 1.1],
        nouns: &[
            "Skillet",
            "Knife Set",
            "Bath Towel",
            "Blender",
            "Coffee Maker",
            "Throw Pillow",
            "Food Containers",
            "Cutting Board",
            "Sheet Set",
            "Desk Lamp",
        ],
    },
    Category {
        name: "Toys",
        catalog_share: 0.06,
        demand: 0.45,
        price_cents: (499, 5_999),
        daypart: [0.2, 0.6, 1.1, 1.3],
        nouns: &[
            "Building Blocks",
            "Puzzle",
            "Board Game",
            "Plush Bear",
            "Remote Control Car",
            "Art Set",
            "Action Figure",
            "Card Game",
        ],
    },
    Category {
        name: "Sports & Outdoors",
        catalog_share: 0.05,
        demand: 0.4,
        price_cents: (799, 19_999),
        daypart: [0.3, 1.1, 1.0, 1.1],
        nouns: &[
            "Yoga Mat",
            "Water Bottle",
            "Dumbbells",
            "Camping Lantern",
            "Tennis Balls",
            "Resistance Bands",
            "Cooler",
            "Bike Light",
        ],
    },
    Category {
        name: "Pet Supplies",
        catalog_share: 0.05,
        demand: 0.9,
        price_cents: (299, 5_999),
        daypart: [0.4, 1.1, 1.0, 1.0],
        nouns: &[
            "Dog Food",
            "Cat Litter",
            "Chew Toy",
            "Cat Treats",
            "Pet Shampoo",
            "Leash",
            "Bird Seed",
        ],
    },
    Category {
        name: "Office",
        catalog_share: 0.04,
        demand: 0.5,
        price_cents: (149, 3_999),
        daypart: [0.2, 1.2, 1.2, 0.8],
        nouns: &[
            "Notebook",
            "Gel Pens",
            "Sticky Notes",
            "Printer Paper",
            "Stapler",
            "Binder",
            "Highlighters",
            "Desk Organizer",
        ],
    },
];

pub const ADJECTIVES: &[&str] = &[
    "Classic",
    "Premium",
    "Organic",
    "Everyday",
    "Ultra",
    "Essential",
    "Deluxe",
    "Eco",
    "Original",
    "Select",
    "Pro",
    "Compact",
    "Family Size",
    "Lite",
    "Signature",
    "Natural",
];

pub const SIZES: &[&str] = &["", "", "", " Small", " Large", " 2-Pack", " Value Pack"];

/// Store formats: name, share of stores, floor area band in square feet, share of the catalog
/// carried, and the delivery schedule. An order placed when a truck unloads comes with the
/// format's next truck, so the lead time is the gap between deliveries.
pub struct StoreFormat {
    pub name: &'static str,
    pub share: f64,
    pub sqft: (i64, i64),
    pub assortment: f64,
    /// Hours a truck arrives, on each delivery day.
    pub deliveries: &'static [u8],
    /// Delivery days, Monday first.
    pub delivery_days: [bool; 7],
    /// Trucks between an order and its delivery: an order placed when a truck unloads comes
    /// with the `lead_trucks`-th truck after it.
    pub lead_trucks: usize,
}

/// Most trucks an order can be in transit for (`StoreFormat::lead_trucks`).
pub const MAX_LEAD_TRUCKS: usize = 3;

impl StoreFormat {
    /// Average days between two trucks: the review period of ordering.
    pub fn review_days(&self) -> f64 {
        let trucks = self.deliveries.len() * self.delivery_days.iter().filter(|&&d| d).count();
        7.0 / trucks.max(1) as f64
    }

    /// Average days from an order to its delivery.
    pub fn lead_days(&self) -> f64 {
        self.review_days() * self.lead_trucks as f64
    }
}

pub const STORE_FORMATS: &[StoreFormat] = &[
    StoreFormat {
        name: "Supercenter",
        share: 0.25,
        sqft: (120_000, 190_000),
        assortment: 0.95,
        deliveries: &[5, 13],
        delivery_days: [true; 7],
        lead_trucks: 2,
    },
    StoreFormat {
        name: "Neighborhood",
        share: 0.5,
        sqft: (30_000, 60_000),
        assortment: 0.6,
        deliveries: &[6],
        delivery_days: [true, true, true, true, true, true, false],
        lead_trucks: 2,
    },
    StoreFormat {
        name: "Express",
        share: 0.25,
        sqft: (8_000, 15_000),
        assortment: 0.3,
        deliveries: &[7],
        delivery_days: [true, false, true, false, true, true, false],
        lead_trucks: 1,
    },
];

/// US cities with their state and a weight (metro population in millions, roughly).
pub const CITIES: &[(&str, &str, f64)] = &[
    ("New York", "NY", 19.5),
    ("Los Angeles", "CA", 12.8),
    ("Chicago", "IL", 9.2),
    ("Dallas", "TX", 7.9),
    ("Houston", "TX", 7.3),
    ("Washington", "DC", 6.3),
    ("Philadelphia", "PA", 6.2),
    ("Miami", "FL", 6.1),
    ("Atlanta", "GA", 6.2),
    ("Boston", "MA", 4.9),
    ("Phoenix", "AZ", 5.0),
    ("San Francisco", "CA", 4.6),
    ("Riverside", "CA", 4.6),
    ("Detroit", "MI", 4.3),
    ("Seattle", "WA", 4.0),
    ("Minneapolis", "MN", 3.7),
    ("San Diego", "CA", 3.3),
    ("Tampa", "FL", 3.3),
    ("Denver", "CO", 3.0),
    ("Baltimore", "MD", 2.8),
    ("St. Louis", "MO", 2.8),
    ("Orlando", "FL", 2.8),
    ("Charlotte", "NC", 2.7),
    ("San Antonio", "TX", 2.6),
    ("Portland", "OR", 2.5),
    ("Sacramento", "CA", 2.4),
    ("Pittsburgh", "PA", 2.4),
    ("Austin", "TX", 2.4),
    ("Las Vegas", "NV", 2.3),
    ("Cincinnati", "OH", 2.3),
    ("Kansas City", "MO", 2.2),
    ("Columbus", "OH", 2.1),
    ("Indianapolis", "IN", 2.1),
    ("Cleveland", "OH", 2.1),
    ("San Jose", "CA", 2.0),
    ("Nashville", "TN", 2.0),
    ("Virginia Beach", "VA", 1.8),
    ("Providence", "RI", 1.7),
    ("Jacksonville", "FL", 1.7),
    ("Milwaukee", "WI", 1.6),
    ("Raleigh", "NC", 1.5),
    ("Oklahoma City", "OK", 1.4),
    ("Memphis", "TN", 1.3),
    ("Richmond", "VA", 1.3),
    ("Louisville", "KY", 1.3),
    ("New Orleans", "LA", 1.3),
    ("Salt Lake City", "UT", 1.3),
    ("Hartford", "CT", 1.2),
    ("Buffalo", "NY", 1.2),
    ("Birmingham", "AL", 1.1),
    ("Rochester", "NY", 1.1),
    ("Grand Rapids", "MI", 1.1),
    ("Tucson", "AZ", 1.0),
    ("Tulsa", "OK", 1.0),
    ("Fresno", "CA", 1.0),
    ("Omaha", "NE", 1.0),
    ("Albuquerque", "NM", 0.9),
    ("Boise", "ID", 0.8),
    ("Des Moines", "IA", 0.7),
    ("Madison", "WI", 0.7),
    ("Charleston", "SC", 0.8),
    ("Knoxville", "TN", 0.9),
    ("Little Rock", "AR", 0.7),
    ("Spokane", "WA", 0.6),
    ("Anchorage", "AK", 0.4),
    ("Honolulu", "HI", 1.0),
    ("Portland", "ME", 0.6),
    ("Burlington", "VT", 0.2),
    ("Manchester", "NH", 0.4),
    ("Wilmington", "DE", 0.7),
    ("Sioux Falls", "SD", 0.3),
    ("Fargo", "ND", 0.3),
    ("Billings", "MT", 0.2),
    ("Cheyenne", "WY", 0.1),
    ("Jackson", "MS", 0.6),
    ("Wichita", "KS", 0.6),
    ("Reno", "NV", 0.5),
    ("Charleston", "WV", 0.2),
];

pub const STORE_SUFFIXES: &[&str] = &[
    "Downtown",
    "Uptown",
    "Northside",
    "Southside",
    "Eastgate",
    "Westfield",
    "Riverside",
    "Midtown",
    "Park",
    "Plaza",
    "Crossing",
    "Commons",
];

pub const PAYMENT_METHODS: &[(&str, f64)] = &[
    ("credit_card", 0.45),
    ("debit_card", 0.28),
    ("mobile_wallet", 0.15),
    ("cash", 0.10),
    ("gift_card", 0.02),
];

/// Share of a day's baskets in each hour (store-local time; stores keep UTC labels here).
/// Quiet nights, a lunch peak and an evening peak.
pub const HOUR_CURVE: [f64; 24] = [
    0.04, 0.02, 0.02, 0.02, 0.03, 0.08, 0.22, 0.45, 0.70, 0.85, 0.95, 1.00, 1.00, 0.92, 0.85, 0.85,
    0.92, 1.00, 1.00, 0.90, 0.72, 0.50, 0.28, 0.10,
];

/// Monday first.
pub const WEEKDAY_FACTOR: [f64; 7] = [0.90, 0.88, 0.92, 0.97, 1.10, 1.30, 1.15];

/// January first: a holiday season at the end of the year.
pub const MONTH_FACTOR: [f64; 12] = [
    0.85, 0.86, 0.93, 0.95, 1.00, 1.00, 1.02, 1.05, 0.97, 1.00, 1.15, 1.35,
];

/// Daypart of an hour: 0 night, 1 morning, 2 midday, 3 evening.
pub const fn daypart(hour: u8) -> usize {
    match hour {
        6..=10 => 1,
        11..=15 => 2,
        16..=21 => 3,
        _ => 0,
    }
}
