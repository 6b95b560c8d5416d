#!/usr/bin/perl
# Writes a small MaxMind-format database (.mmdb) for tests, with Debian's
# libmaxmind-db-writer-perl: never a real GeoLite or DB-IP file.
#
#   perl make_test_mmdb.pl OUT.mmdb TYPE NETWORK=VALUE ...
#
# TYPE is the database_type written into the metadata (e.g. Test-Country, Test-ASN). Each
# NETWORK=VALUE adds one network (CIDR, IPv4 or IPv6): a two-letter VALUE becomes
# {country: {iso_code: VALUE}}, a number becomes {autonomous_system_number: VALUE,
# autonomous_system_organization: "Test AS VALUE"}; "CC:ASN" gives both.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $type, @entries) = @ARGV;
die "usage: $0 OUT.mmdb TYPE NETWORK=VALUE...\n" unless $out && $type;

my %types = (
    country                        => 'map',
    iso_code                       => 'utf8_string',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => $type,
    languages             => ['en'],
    description           => { en => 'mxir test database' },
    map_key_type_callback => sub { $types{ $_[0] } },
    alias_ipv6_to_ipv4    => 1,
    # The tests use the documentation networks (192.0.2.0/24, 2001:db8::/32, ...), which the
    # writer would otherwise leave out as reserved.
    remove_reserved_networks => 0,
);
for my $entry (@entries) {
    my ($net, $value) = split /=/, $entry, 2;
    die "bad entry '$entry'\n" unless defined $value;
    my %record;
    for my $part (split /:/, $value) {
        if ($part =~ /^[A-Za-z]{2}$/) {
            $record{country} = { iso_code => uc $part };
        } elsif ($part =~ /^\d+$/) {
            $record{autonomous_system_number}       = $part + 0;
            $record{autonomous_system_organization} = "Test AS $part";
        } else {
            die "bad value '$part' in '$entry'\n";
        }
    }
    $tree->insert_network($net, \%record);
}
open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";
